/** The part of a stored canonical event that projections read. */
export interface ProjectedEvent {
  eventId: string;
  type: string;
  data: Record<string, unknown>;
}

/** ISO date (YYYY-MM-DD) of an event's `occurredAt`. */
export function eventDate(event: ProjectedEvent): string {
  return String(event.data.occurredAt).slice(0, 10);
}

/** Orders by occurrence, then by event id, so "later wins" never depends on delivery order. */
export function isLater(at: string, eventId: string, thanAt: string, thanEventId: string): boolean {
  return at > thanAt || (at === thanAt && eventId > thanEventId);
}

export const LIFE_ROOMS_EVENT_TYPES = [
  'VisitRecorded',
  'CourseEnrolled',
  'SessionAttended',
  'ReferralReceived',
  'PathwaysContactMade',
  'SocialPrescriptionIssued',
  'SocialPrescriptionOutcomeRecorded',
  'WellbeingMeasured',
] as const;

export function isLifeRoomsEvent(type: string): boolean {
  return (LIFE_ROOMS_EVENT_TYPES as readonly string[]).includes(type);
}
