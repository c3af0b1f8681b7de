import { Type, type Static } from '@sinclair/typebox';
import {
  DELIVERIES,
  INSTRUMENTS,
  MEASURE_TIMINGS,
  NEEDS,
  PATHWAYS_CONTACT_MODES,
  PRESCRIPTION_OUTCOMES,
  REFERRAL_ROUTES,
  REFERRERS,
  SITES,
  SWEMWBS_ITEM_COUNT,
  VISIT_PURPOSES,
} from '../source/liferooms';
import { SourceId, StringEnum } from '../source/common';
import { commonData, demographicsData, eventSchema } from './common';

const base = <R extends string>(recordType: R) => ({
  ...commonData('liferooms', recordType),
  ...demographicsData,
});

export const VisitRecorded = eventSchema('VisitRecorded', {
  ...base('visit'),
  site: StringEnum(SITES),
  purpose: StringEnum(VISIT_PURPOSES),
});

export const CourseEnrolled = eventSchema('CourseEnrolled', {
  ...base('course_enrolment'),
  courseId: SourceId,
  courseTitle: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  delivery: StringEnum(DELIVERIES),
});

export const SessionAttended = eventSchema('SessionAttended', {
  ...base('session_attendance'),
  courseId: SourceId,
  sessionId: SourceId,
  attended: Type.Boolean(),
});

export const ReferralReceived = eventSchema('ReferralReceived', {
  ...base('referral'),
  referralId: SourceId,
  referrer: StringEnum(REFERRERS),
  via: StringEnum(REFERRAL_ROUTES),
});

export const PathwaysContactMade = eventSchema('PathwaysContactMade', {
  ...base('pathways_contact'),
  contactId: SourceId,
  mode: StringEnum(PATHWAYS_CONTACT_MODES),
});

export const SocialPrescriptionIssued = eventSchema('SocialPrescriptionIssued', {
  ...base('social_prescription'),
  prescriptionId: SourceId,
  need: StringEnum(NEEDS),
  providerId: SourceId,
});

export const SocialPrescriptionOutcomeRecorded = eventSchema('SocialPrescriptionOutcomeRecorded', {
  ...base('prescription_outcome'),
  prescriptionId: SourceId,
  outcome: StringEnum(PRESCRIPTION_OUTCOMES),
});

export const WellbeingMeasured = eventSchema('WellbeingMeasured', {
  ...base('wellbeing_measure'),
  instrument: StringEnum(INSTRUMENTS),
  items: Type.Array(Type.Integer({ minimum: 1, maximum: 5 }), {
    minItems: SWEMWBS_ITEM_COUNT,
    maxItems: SWEMWBS_ITEM_COUNT,
  }),
  timing: StringEnum(MEASURE_TIMINGS),
  /** Sum of the 7 items, 7-35. */
  swemwbsRaw: Type.Integer({ minimum: 7, maximum: 35 }),
  /** Rasch metric score from the published conversion table. */
  swemwbsMetric: Type.Number({ minimum: 7, maximum: 35 }),
});

export type VisitRecordedEvent = Static<typeof VisitRecorded>;
export type CourseEnrolledEvent = Static<typeof CourseEnrolled>;
export type SessionAttendedEvent = Static<typeof SessionAttended>;
export type ReferralReceivedEvent = Static<typeof ReferralReceived>;
export type PathwaysContactMadeEvent = Static<typeof PathwaysContactMade>;
export type SocialPrescriptionIssuedEvent = Static<typeof SocialPrescriptionIssued>;
export type SocialPrescriptionOutcomeRecordedEvent = Static<
  typeof SocialPrescriptionOutcomeRecorded
>;
export type WellbeingMeasuredEvent = Static<typeof WellbeingMeasured>;

export type LiferoomsEvent =
  | VisitRecordedEvent
  | CourseEnrolledEvent
  | SessionAttendedEvent
  | ReferralReceivedEvent
  | PathwaysContactMadeEvent
  | SocialPrescriptionIssuedEvent
  | SocialPrescriptionOutcomeRecordedEvent
  | WellbeingMeasuredEvent;
