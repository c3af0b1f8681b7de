import { Type, type Static } from '@sinclair/typebox';
import {
  CalendarDate,
  NhsNumber,
  PersonName,
  Postcode,
  Sex,
  SourceId,
  StringEnum,
  commonProperties,
  recordSchema,
} from './common';

// Life Rooms' own records. The NHS number is optional (walk-in visitors often have none); then
// name, date of birth and postcode are all there is to link on. Any of them may come on any record.
function liferoomsProperties<T extends string>(recordType: T) {
  return {
    ...commonProperties(recordType),
    nhs_number: Type.Optional(NhsNumber),
    given_name: Type.Optional(PersonName),
    family_name: Type.Optional(PersonName),
    date_of_birth: Type.Optional(CalendarDate),
    postcode: Type.Optional(Postcode),
    sex: Type.Optional(Sex),
  };
}

export const SITES = ['walton', 'southport', 'bootle', 'outreach', 'online'] as const;
export const VISIT_PURPOSES = [
  'it',
  'social',
  'course',
  'pathways',
  'cafe',
  'library',
  'event',
  'other',
] as const;
export const DELIVERIES = ['face_to_face', 'online'] as const;
export const REFERRERS = [
  'cmht',
  'eit',
  'crht',
  'gp',
  'self',
  'jobcentre',
  'police',
  'probation',
  'vcse',
  'other',
] as const;
export const REFERRAL_ROUTES = ['elemental', 'card', 'walk_in'] as const;
export const PATHWAYS_CONTACT_MODES = ['face_to_face', 'telephone', 'video'] as const;
export const NEEDS = [
  'housing',
  'debt',
  'benefits',
  'employment',
  'food',
  'fuel',
  'isolation',
  'education',
  'volunteering',
  'physical_activity',
  'other',
] as const;
export const PRESCRIPTION_OUTCOMES = ['attended', 'completed', 'declined', 'lost_contact'] as const;
export const INSTRUMENTS = ['swemwbs'] as const;
export const MEASURE_TIMINGS = ['baseline', 'follow_up'] as const;
export const SWEMWBS_ITEM_COUNT = 7;

/** SWEMWBS answers: exactly 7 integers 1-5 (CSV sends `1|2|3|4|5|4|3`; the validator coerces). */
export const SwemwbsItems = Type.Array(Type.Integer({ minimum: 1, maximum: 5 }), {
  minItems: SWEMWBS_ITEM_COUNT,
  maxItems: SWEMWBS_ITEM_COUNT,
});

export const LiferoomsVisit = recordSchema('liferooms', 'visit', {
  ...liferoomsProperties('visit'),
  site: StringEnum(SITES),
  purpose: StringEnum(VISIT_PURPOSES),
});

export const LiferoomsCourseEnrolment = recordSchema('liferooms', 'course_enrolment', {
  ...liferoomsProperties('course_enrolment'),
  course_id: SourceId,
  // A catalogue title ("Living with Anxiety"), not free text about a person; bounded anyway.
  course_title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  delivery: StringEnum(DELIVERIES),
});

export const LiferoomsSessionAttendance = recordSchema('liferooms', 'session_attendance', {
  ...liferoomsProperties('session_attendance'),
  course_id: SourceId,
  session_id: SourceId,
  attended: Type.Boolean(),
});

export const LiferoomsReferral = recordSchema('liferooms', 'referral', {
  ...liferoomsProperties('referral'),
  referral_id: SourceId,
  referrer: StringEnum(REFERRERS),
  via: StringEnum(REFERRAL_ROUTES),
});

export const LiferoomsPathwaysContact = recordSchema('liferooms', 'pathways_contact', {
  ...liferoomsProperties('pathways_contact'),
  contact_id: SourceId,
  mode: StringEnum(PATHWAYS_CONTACT_MODES),
});

export const LiferoomsSocialPrescription = recordSchema('liferooms', 'social_prescription', {
  ...liferoomsProperties('social_prescription'),
  prescription_id: SourceId,
  need: StringEnum(NEEDS),
  provider_id: SourceId,
});

export const LiferoomsPrescriptionOutcome = recordSchema('liferooms', 'prescription_outcome', {
  ...liferoomsProperties('prescription_outcome'),
  prescription_id: SourceId,
  outcome: StringEnum(PRESCRIPTION_OUTCOMES),
});

export const LiferoomsWellbeingMeasure = recordSchema('liferooms', 'wellbeing_measure', {
  ...liferoomsProperties('wellbeing_measure'),
  instrument: StringEnum(INSTRUMENTS),
  items: SwemwbsItems,
  timing: StringEnum(MEASURE_TIMINGS),
});

/** Every liferooms record type and its schema. */
export const LIFEROOMS_SCHEMAS = {
  visit: LiferoomsVisit,
  course_enrolment: LiferoomsCourseEnrolment,
  session_attendance: LiferoomsSessionAttendance,
  referral: LiferoomsReferral,
  pathways_contact: LiferoomsPathwaysContact,
  social_prescription: LiferoomsSocialPrescription,
  prescription_outcome: LiferoomsPrescriptionOutcome,
  wellbeing_measure: LiferoomsWellbeingMeasure,
} as const;

export type LiferoomsRecordType = keyof typeof LIFEROOMS_SCHEMAS;
export type LiferoomsVisitRecord = Static<typeof LiferoomsVisit>;
export type LiferoomsCourseEnrolmentRecord = Static<typeof LiferoomsCourseEnrolment>;
export type LiferoomsSessionAttendanceRecord = Static<typeof LiferoomsSessionAttendance>;
export type LiferoomsReferralRecord = Static<typeof LiferoomsReferral>;
export type LiferoomsPathwaysContactRecord = Static<typeof LiferoomsPathwaysContact>;
export type LiferoomsSocialPrescriptionRecord = Static<typeof LiferoomsSocialPrescription>;
export type LiferoomsPrescriptionOutcomeRecord = Static<typeof LiferoomsPrescriptionOutcome>;
export type LiferoomsWellbeingMeasureRecord = Static<typeof LiferoomsWellbeingMeasure>;

/** A validated liferooms record (discriminated on `record_type`). */
export type LiferoomsRecord =
  | LiferoomsVisitRecord
  | LiferoomsCourseEnrolmentRecord
  | LiferoomsSessionAttendanceRecord
  | LiferoomsReferralRecord
  | LiferoomsPathwaysContactRecord
  | LiferoomsSocialPrescriptionRecord
  | LiferoomsPrescriptionOutcomeRecord
  | LiferoomsWellbeingMeasureRecord;
