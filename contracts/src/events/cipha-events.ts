import { Type, type Static } from '@sinclair/typebox';
import {
  ADMISSION_METHODS,
  AE_DEPARTMENT_TYPES,
  AE_DISPOSALS,
  AMBULANCE_OUTCOMES,
  CONDITION_CLUSTERS,
  GP_APPOINTMENT_MODES,
  MENTAL_HEALTH_CONTACT_TYPES,
  MENTAL_HEALTH_TEAMS,
  OPT_OUT_TYPES,
} from '../source/cipha';
import { StringEnum } from '../source/common';
import { commonData, demographicsData, eventSchema } from './common';

const base = <R extends string>(recordType: R) => commonData('cipha', recordType);
const PracticeCode = Type.String({ minLength: 1, maxLength: 16 });
const Specialty = Type.String({ minLength: 1, maxLength: 64 });

/** A person's demographics from CIPHA; a later one supersedes an earlier one (moves house). */
export const PersonRegistered = eventSchema('PersonRegistered', {
  ...base('registration'),
  ...demographicsData,
  practiceCode: PracticeCode,
});

export const GpAppointmentAttended = eventSchema('GpAppointmentAttended', {
  ...base('gp_appointment'),
  practiceCode: PracticeCode,
  mode: StringEnum(GP_APPOINTMENT_MODES),
});

export const AeAttended = eventSchema('AeAttended', {
  ...base('ae_attendance'),
  departmentType: Type.Unsafe<(typeof AE_DEPARTMENT_TYPES)[number]>({
    type: 'integer',
    enum: [...AE_DEPARTMENT_TYPES],
  }),
  disposal: StringEnum(AE_DISPOSALS),
});

export const InpatientAdmitted = eventSchema('InpatientAdmitted', {
  ...base('inpatient_admission'),
  method: StringEnum(ADMISSION_METHODS),
  specialty: Specialty,
  dischargedAt: Type.Optional(Type.String({ format: 'date-time' })),
});

export const OutpatientAttended = eventSchema('OutpatientAttended', {
  ...base('outpatient_attendance'),
  specialty: Specialty,
  attended: Type.Boolean(),
});

export const MentalHealthContactMade = eventSchema('MentalHealthContactMade', {
  ...base('mental_health_contact'),
  team: StringEnum(MENTAL_HEALTH_TEAMS),
  contactType: StringEnum(MENTAL_HEALTH_CONTACT_TYPES),
});

export const Nhs111Called = eventSchema('Nhs111Called', base('nhs111_call'));

export const AmbulanceIncidentRecorded = eventSchema('AmbulanceIncidentRecorded', {
  ...base('ambulance_incident'),
  outcome: StringEnum(AMBULANCE_OUTCOMES),
});

export const PersonDied = eventSchema('PersonDied', base('death'));

export const OptOutRecorded = eventSchema('OptOutRecorded', {
  ...base('opt_out'),
  optOutType: StringEnum(OPT_OUT_TYPES),
});

export const OptOutWithdrawn = eventSchema('OptOutWithdrawn', {
  ...base('opt_in'),
  optOutType: StringEnum(OPT_OUT_TYPES),
});

/** A GP condition register entry: first recorded at `occurredAt`, resolved at `resolvedAt`. */
export const ConditionRecorded = eventSchema('ConditionRecorded', {
  ...base('condition'),
  cluster: StringEnum(CONDITION_CLUSTERS),
  resolvedAt: Type.Optional(Type.String({ format: 'date-time' })),
});

export type PersonRegisteredEvent = Static<typeof PersonRegistered>;
export type GpAppointmentAttendedEvent = Static<typeof GpAppointmentAttended>;
export type AeAttendedEvent = Static<typeof AeAttended>;
export type InpatientAdmittedEvent = Static<typeof InpatientAdmitted>;
export type OutpatientAttendedEvent = Static<typeof OutpatientAttended>;
export type MentalHealthContactMadeEvent = Static<typeof MentalHealthContactMade>;
export type Nhs111CalledEvent = Static<typeof Nhs111Called>;
export type AmbulanceIncidentRecordedEvent = Static<typeof AmbulanceIncidentRecorded>;
export type PersonDiedEvent = Static<typeof PersonDied>;
export type OptOutRecordedEvent = Static<typeof OptOutRecorded>;
export type OptOutWithdrawnEvent = Static<typeof OptOutWithdrawn>;
export type ConditionRecordedEvent = Static<typeof ConditionRecorded>;

export type CiphaEvent =
  | PersonRegisteredEvent
  | GpAppointmentAttendedEvent
  | AeAttendedEvent
  | InpatientAdmittedEvent
  | OutpatientAttendedEvent
  | MentalHealthContactMadeEvent
  | Nhs111CalledEvent
  | AmbulanceIncidentRecordedEvent
  | PersonDiedEvent
  | OptOutRecordedEvent
  | OptOutWithdrawnEvent
  | ConditionRecordedEvent;
