import { ActivityType, activityTypesOf } from '../outcomes/outcome-measures';
import { eventDate, ProjectedEvent } from './projected-event';

/** A unit cost and the published row it comes from. */
export interface UnitCost {
  costGbp: number;
  /** Names the source row (`<activity> | <source>`). */
  sourceRow: string;
}

/** Looks a unit cost up by record type and variant (the shape of `@linkage/reference`'s table). */
export type CostLookup = (recordType: string, variant?: string | number) => UnitCost | undefined;

/** One costed unit of service use, per event and activity type. */
export interface ServiceUseFact {
  eventId: string;
  personId: string;
  date: string;
  /** First day of the month (YYYY-MM-01). */
  month: string;
  activity: ActivityType;
  /** Cost of the event, carried by its first activity type only (so totals never double). */
  costGbp: number;
  costSource: string | null;
}

/** The record type and variant the unit-cost table prices an event by. */
export function costKeyOf(
  type: string,
  data: Record<string, unknown>,
): { recordType: string; variant?: string | number } | undefined {
  switch (type) {
    case 'GpAppointmentAttended':
      return { recordType: 'gp_appointment', variant: String(data.mode) };
    case 'AeAttended':
      return { recordType: 'ae_attendance', variant: Number(data.departmentType) };
    case 'InpatientAdmitted':
      return data.method === 'emergency' || data.method === 'elective'
        ? { recordType: 'inpatient_admission', variant: data.method }
        : undefined;
    case 'OutpatientAttended':
      return data.attended === false ? undefined : { recordType: 'outpatient_attendance' };
    case 'MentalHealthContactMade':
      return { recordType: 'mental_health_contact', variant: String(data.team) };
    case 'Nhs111Called':
      return { recordType: 'nhs111_call' };
    case 'AmbulanceIncidentRecorded':
      return { recordType: 'ambulance_incident', variant: String(data.outcome) };
    default:
      return undefined;
  }
}

/** The service-use facts of one event (none for events that are not service use or about nobody). */
export function serviceUseFactsOf(event: ProjectedEvent, costOf: CostLookup): ServiceUseFact[] {
  const personId = event.data.personId;
  if (typeof personId !== 'string') return [];
  const activities = activityTypesOf(event.type, event.data);
  if (activities.length === 0) return [];
  const key = costKeyOf(event.type, event.data);
  const cost = key ? costOf(key.recordType, key.variant) : undefined;
  const date = eventDate(event);
  return activities.map((activity, i) => ({
    eventId: event.eventId,
    personId,
    date,
    month: `${date.slice(0, 7)}-01`,
    activity,
    costGbp: i === 0 && cost ? cost.costGbp : 0,
    costSource: i === 0 && cost ? cost.sourceRow : null,
  }));
}

/** Monthly service use and cost of one person, by activity type. */
export interface ServiceUseDoc {
  personId: string;
  /** months[YYYY-MM-01][activity] */
  months: Record<string, Partial<Record<ActivityType, { events: number; costGbp: number }>>>;
  /** Events already counted: redelivery is a no-op. */
  counted: Record<string, true>;
}

/** Folds one event into a person's monthly service use (idempotent by event id). */
export function evolveServiceUse(
  doc: ServiceUseDoc | null,
  event: ProjectedEvent,
  costOf: CostLookup,
): ServiceUseDoc | null {
  const facts = serviceUseFactsOf(event, costOf);
  if (facts.length === 0 || doc?.counted[event.eventId]) return doc;
  const next: ServiceUseDoc = {
    personId: facts[0].personId,
    months: { ...(doc?.months ?? {}) },
    counted: { ...(doc?.counted ?? {}), [event.eventId]: true },
  };
  for (const f of facts) {
    const month = { ...(next.months[f.month] ?? {}) };
    const cell = month[f.activity] ?? { events: 0, costGbp: 0 };
    month[f.activity] = { events: cell.events + 1, costGbp: cell.costGbp + f.costGbp };
    next.months[f.month] = month;
  }
  return next;
}
