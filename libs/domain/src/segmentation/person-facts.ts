/**
 * What segmentation knows about one person: read from the read models (pseudonymised only).
 * Dates are ISO days (`YYYY-MM-DD`). Built by the run job from the read models and, for the
 * generator's ground truth, from the records it wrote.
 */
export interface PersonFacts {
  personId: string;
  yearOfBirth: number | null;
  sex: string | null;
  imdDecile: number | null;
  deathDate: string | null;
  /** National Data Opt-out, current status: an opted-out person is never in a segment. */
  optedOut: boolean;
  conditions: { cluster: string; recordedOn: string; resolvedOn: string | null }[];
  /** One entry per activity type per event (the projector's `activity` rows). */
  activity: { activity: string; date: string }[];
  lifeRooms: LifeRoomsFacts;
}

export interface LifeRoomsFacts {
  /** Days of every Life Rooms contact (visits, courses, sessions, pathways, prescriptions, ...). */
  contacts: string[];
  referrals: string[];
  prescriptions: { prescriptionId: string; need: string; date: string }[];
  /** `at` orders outcomes of one prescription (the latest by the as-of date counts). */
  outcomes: { prescriptionId: string; outcome: string; date: string; at: string }[];
}

export const NO_LIFE_ROOMS: LifeRoomsFacts = Object.freeze({
  contacts: [],
  referrals: [],
  prescriptions: [],
  outcomes: [],
}) as LifeRoomsFacts;
