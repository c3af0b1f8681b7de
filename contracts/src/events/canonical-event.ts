import type { TObject } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import type { Source } from '../source/common';
import type { CiphaRecordType } from '../source/cipha';
import type { LiferoomsRecordType } from '../source/liferooms';
import { createContractsAjv } from '../source/validate-source-record';
import * as cipha from './cipha-events';
import * as liferooms from './liferooms-events';
import {
  RecordLinked,
  RecordUnlinked,
  type RecordLinkedEvent,
  type RecordUnlinkedEvent,
} from './linkage-events';

/** The canonical event type of each source record type. */
export const EVENT_TYPE_BY_RECORD_TYPE = {
  liferooms: {
    visit: 'VisitRecorded',
    course_enrolment: 'CourseEnrolled',
    session_attendance: 'SessionAttended',
    referral: 'ReferralReceived',
    pathways_contact: 'PathwaysContactMade',
    social_prescription: 'SocialPrescriptionIssued',
    prescription_outcome: 'SocialPrescriptionOutcomeRecorded',
    wellbeing_measure: 'WellbeingMeasured',
  },
  cipha: {
    registration: 'PersonRegistered',
    gp_appointment: 'GpAppointmentAttended',
    ae_attendance: 'AeAttended',
    inpatient_admission: 'InpatientAdmitted',
    outpatient_attendance: 'OutpatientAttended',
    mental_health_contact: 'MentalHealthContactMade',
    nhs111_call: 'Nhs111Called',
    ambulance_incident: 'AmbulanceIncidentRecorded',
    death: 'PersonDied',
    opt_out: 'OptOutRecorded',
    opt_in: 'OptOutWithdrawn',
    condition: 'ConditionRecorded',
  },
} as const satisfies {
  liferooms: Record<LiferoomsRecordType, string>;
  cipha: Record<CiphaRecordType, string>;
};

/** Every canonical event schema by type name (source-record events and `RecordLinked`). */
export const EVENT_SCHEMAS = {
  VisitRecorded: liferooms.VisitRecorded,
  CourseEnrolled: liferooms.CourseEnrolled,
  SessionAttended: liferooms.SessionAttended,
  ReferralReceived: liferooms.ReferralReceived,
  PathwaysContactMade: liferooms.PathwaysContactMade,
  SocialPrescriptionIssued: liferooms.SocialPrescriptionIssued,
  SocialPrescriptionOutcomeRecorded: liferooms.SocialPrescriptionOutcomeRecorded,
  WellbeingMeasured: liferooms.WellbeingMeasured,
  PersonRegistered: cipha.PersonRegistered,
  GpAppointmentAttended: cipha.GpAppointmentAttended,
  AeAttended: cipha.AeAttended,
  InpatientAdmitted: cipha.InpatientAdmitted,
  OutpatientAttended: cipha.OutpatientAttended,
  MentalHealthContactMade: cipha.MentalHealthContactMade,
  Nhs111Called: cipha.Nhs111Called,
  AmbulanceIncidentRecorded: cipha.AmbulanceIncidentRecorded,
  PersonDied: cipha.PersonDied,
  OptOutRecorded: cipha.OptOutRecorded,
  OptOutWithdrawn: cipha.OptOutWithdrawn,
  ConditionRecorded: cipha.ConditionRecorded,
  RecordLinked,
  RecordUnlinked,
} as const satisfies Record<string, TObject>;

export type CanonicalEventType = keyof typeof EVENT_SCHEMAS;
/** Every canonical event type name, in contract order. */
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as CanonicalEventType[];

/** An event made from one source record (every canonical event except `RecordLinked`). */
export type SourceRecordEvent = liferooms.LiferoomsEvent | cipha.CiphaEvent;
/** Any canonical event, discriminated on `type`. */
export type CanonicalEvent = SourceRecordEvent | RecordLinkedEvent | RecordUnlinkedEvent;
export type CanonicalEventOf<T extends CanonicalEventType> = Extract<CanonicalEvent, { type: T }>;

/** The event type of a source record type, or `undefined` when there is none. */
export function eventTypeFor(source: Source, recordType: string): CanonicalEventType | undefined {
  const byType = EVENT_TYPE_BY_RECORD_TYPE[source] as Record<string, CanonicalEventType>;
  return Object.prototype.hasOwnProperty.call(byType, recordType) ? byType[recordType] : undefined;
}

let validators: Map<string, ValidateFunction> | undefined;

/**
 * Checks an event against its v1 schema (for consumers that read events from outside, and for
 * tests). Errors are `{ field, reason }` with Ajv's keyword as reason: never a value.
 */
export function validateCanonicalEvent(
  input: unknown,
):
  { ok: true; event: CanonicalEvent } | { ok: false; errors: { field: string; reason: string }[] } {
  if (!validators) {
    const ajv = createContractsAjv();
    validators = new Map(Object.entries(EVENT_SCHEMAS).map(([t, s]) => [t, ajv.compile(s)]));
  }
  const type = (input as { type?: unknown } | null)?.type;
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (!validate) return { ok: false, errors: [{ field: '/type', reason: 'unknown_event_type' }] };
  if (validate(input)) return { ok: true, event: input as CanonicalEvent };
  return {
    ok: false,
    errors: (validate.errors ?? []).map((e) => ({
      field:
        e.keyword === 'required'
          ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
          : e.instancePath,
      reason: e.keyword,
    })),
  };
}
