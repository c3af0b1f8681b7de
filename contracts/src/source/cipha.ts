import { Type, type Static } from '@sinclair/typebox';
import {
  CalendarDate,
  DateTimeWithOffset,
  NhsNumber,
  Postcode,
  Sex,
  StringEnum,
  commonProperties,
  recordSchema,
} from './common';

// System activity from the regional platform: the NHS number is required on every record.
function ciphaProperties<T extends string>(recordType: T) {
  return { ...commonProperties(recordType), nhs_number: NhsNumber };
}

export const GP_APPOINTMENT_MODES = ['face_to_face', 'telephone', 'home_visit', 'online'] as const;
export const AE_DEPARTMENT_TYPES = [1, 2, 3, 4] as const;
export const AE_DISPOSALS = ['admitted', 'discharged', 'referred', 'left'] as const;
export const ADMISSION_METHODS = ['elective', 'emergency', 'maternity', 'other'] as const;
export const MENTAL_HEALTH_TEAMS = ['cmht', 'eit', 'crht', 'iapt', 'inpatient', 'liaison'] as const;
export const MENTAL_HEALTH_CONTACT_TYPES = ['face_to_face', 'telephone', 'video'] as const;
export const AMBULANCE_OUTCOMES = ['conveyed', 'see_and_treat', 'hear_and_treat'] as const;
export const OPT_OUT_TYPES = ['national_data_opt_out'] as const;
/** GP condition register clusters (a fixed list; the source maps its codes onto these). */
export const CONDITION_CLUSTERS = [
  'depression',
  'anxiety',
  'serious_mental_illness',
  'dementia',
  'learning_disability',
  'physical_disability',
  'diabetes',
  'copd',
  'asthma',
  'coronary_heart_disease',
  'heart_failure',
  'chronic_kidney_disease',
  'stroke',
  'cancer',
  'metastatic_cancer',
  'substance_misuse',
  'alcohol_dependence',
  'pregnancy',
] as const;
export type ConditionCluster = (typeof CONDITION_CLUSTERS)[number];

/** NHS practice code (ODS code such as `N82001`): an organisation, not a person. */
const PracticeCode = Type.String({ minLength: 1, maxLength: 16 });
/** Treatment specialty code or name, bounded. */
const Specialty = Type.String({ minLength: 1, maxLength: 64 });

export const CiphaRegistration = recordSchema('cipha', 'registration', {
  ...ciphaProperties('registration'),
  date_of_birth: CalendarDate,
  sex: Sex,
  postcode: Postcode,
  practice_code: PracticeCode,
});

export const CiphaGpAppointment = recordSchema('cipha', 'gp_appointment', {
  ...ciphaProperties('gp_appointment'),
  practice_code: PracticeCode,
  mode: StringEnum(GP_APPOINTMENT_MODES),
});

export const CiphaAeAttendance = recordSchema('cipha', 'ae_attendance', {
  ...ciphaProperties('ae_attendance'),
  department_type: Type.Unsafe<(typeof AE_DEPARTMENT_TYPES)[number]>({
    type: 'integer',
    enum: [...AE_DEPARTMENT_TYPES],
  }),
  disposal: StringEnum(AE_DISPOSALS),
});

export const CiphaInpatientAdmission = recordSchema('cipha', 'inpatient_admission', {
  ...ciphaProperties('inpatient_admission'),
  method: StringEnum(ADMISSION_METHODS),
  specialty: Specialty,
  // Absent while the person is still in hospital.
  discharged_at: Type.Optional(DateTimeWithOffset),
});

export const CiphaOutpatientAttendance = recordSchema('cipha', 'outpatient_attendance', {
  ...ciphaProperties('outpatient_attendance'),
  specialty: Specialty,
  attended: Type.Boolean(),
});

export const CiphaMentalHealthContact = recordSchema('cipha', 'mental_health_contact', {
  ...ciphaProperties('mental_health_contact'),
  team: StringEnum(MENTAL_HEALTH_TEAMS),
  contact_type: StringEnum(MENTAL_HEALTH_CONTACT_TYPES),
});

export const CiphaNhs111Call = recordSchema('cipha', 'nhs111_call', ciphaProperties('nhs111_call'));

export const CiphaAmbulanceIncident = recordSchema('cipha', 'ambulance_incident', {
  ...ciphaProperties('ambulance_incident'),
  outcome: StringEnum(AMBULANCE_OUTCOMES),
});

export const CiphaDeath = recordSchema('cipha', 'death', ciphaProperties('death'));

export const CiphaOptOut = recordSchema('cipha', 'opt_out', {
  ...ciphaProperties('opt_out'),
  type: StringEnum(OPT_OUT_TYPES),
});

/** Withdraws an earlier `opt_out` of the same `type`. */
export const CiphaOptIn = recordSchema('cipha', 'opt_in', {
  ...ciphaProperties('opt_in'),
  type: StringEnum(OPT_OUT_TYPES),
});

/**
 * A GP condition register entry: `occurred_at` is when the condition was first recorded;
 * `resolved_at` (optional, not before `occurred_at`) when it was marked resolved. Added in v1 as
 * a new record type, so extracts without it stay valid.
 */
export const CiphaCondition = recordSchema('cipha', 'condition', {
  ...ciphaProperties('condition'),
  cluster: StringEnum(CONDITION_CLUSTERS),
  resolved_at: Type.Optional(DateTimeWithOffset),
});

/** Every cipha record type and its schema. */
export const CIPHA_SCHEMAS = {
  registration: CiphaRegistration,
  gp_appointment: CiphaGpAppointment,
  ae_attendance: CiphaAeAttendance,
  inpatient_admission: CiphaInpatientAdmission,
  outpatient_attendance: CiphaOutpatientAttendance,
  mental_health_contact: CiphaMentalHealthContact,
  nhs111_call: CiphaNhs111Call,
  ambulance_incident: CiphaAmbulanceIncident,
  death: CiphaDeath,
  opt_out: CiphaOptOut,
  opt_in: CiphaOptIn,
  condition: CiphaCondition,
} as const;

export type CiphaRecordType = keyof typeof CIPHA_SCHEMAS;
export type CiphaRegistrationRecord = Static<typeof CiphaRegistration>;
export type CiphaGpAppointmentRecord = Static<typeof CiphaGpAppointment>;
export type CiphaAeAttendanceRecord = Static<typeof CiphaAeAttendance>;
export type CiphaInpatientAdmissionRecord = Static<typeof CiphaInpatientAdmission>;
export type CiphaOutpatientAttendanceRecord = Static<typeof CiphaOutpatientAttendance>;
export type CiphaMentalHealthContactRecord = Static<typeof CiphaMentalHealthContact>;
export type CiphaNhs111CallRecord = Static<typeof CiphaNhs111Call>;
export type CiphaAmbulanceIncidentRecord = Static<typeof CiphaAmbulanceIncident>;
export type CiphaDeathRecord = Static<typeof CiphaDeath>;
export type CiphaOptOutRecord = Static<typeof CiphaOptOut>;
export type CiphaOptInRecord = Static<typeof CiphaOptIn>;
export type CiphaConditionRecord = Static<typeof CiphaCondition>;

/** A validated cipha record (discriminated on `record_type`). */
export type CiphaRecord =
  | CiphaRegistrationRecord
  | CiphaGpAppointmentRecord
  | CiphaAeAttendanceRecord
  | CiphaInpatientAdmissionRecord
  | CiphaOutpatientAttendanceRecord
  | CiphaMentalHealthContactRecord
  | CiphaNhs111CallRecord
  | CiphaAmbulanceIncidentRecord
  | CiphaDeathRecord
  | CiphaOptOutRecord
  | CiphaOptInRecord
  | CiphaConditionRecord;
