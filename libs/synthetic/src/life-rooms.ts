import { COURSES, NEEDS, PROVIDERS_BY_NEED } from './catalogue';
import { DAY_MS, HOUR_MS, MINUTE_MS, isoDate, startOfDay } from './dates';
import { DraftRecord } from './draft-record';
import { Person, residenceAt } from './population';
import {
  Rng,
  createRng,
  intBetween,
  lognormalMeanOne,
  normal,
  pickOne,
  poisson,
  weighted,
} from './random';

/** Run-wide counters for the Life Rooms' own identifiers (referral, contact, prescription). */
export interface LifeRoomsCounters {
  referral: number;
  contact: number;
  prescription: number;
}

export interface LifeRoomsContext {
  seed: string;
  endMs: number;
  counters: LifeRoomsCounters;
}

const SITES_BY_LA: Record<string, (rng: Rng) => string> = {
  Liverpool: weighted([
    ['walton', 0.6],
    ['outreach', 0.15],
    ['online', 0.2],
    ['bootle', 0.05],
  ]),
  Sefton: weighted([
    ['southport', 0.45],
    ['bootle', 0.35],
    ['online', 0.15],
    ['walton', 0.05],
  ]),
  Knowsley: weighted([
    ['outreach', 0.55],
    ['walton', 0.2],
    ['online', 0.25],
  ]),
};
const SITES_ELSEWHERE = weighted([
  ['online', 0.5],
  ['outreach', 0.2],
  ['walton', 0.2],
  ['bootle', 0.1],
]);
const PURPOSE = weighted([
  ['it', 0.1],
  ['social', 0.2],
  ['course', 0.2],
  ['pathways', 0.2],
  ['cafe', 0.12],
  ['library', 0.08],
  ['event', 0.05],
  ['other', 0.05],
]);
const REFERRER = weighted([
  ['cmht', 0.18],
  ['eit', 0.06],
  ['crht', 0.08],
  ['gp', 0.2],
  ['self', 0.22],
  ['jobcentre', 0.06],
  ['police', 0.03],
  ['probation', 0.03],
  ['vcse', 0.08],
  ['other', 0.06],
]);
const PATHWAYS_MODE = weighted([
  ['face_to_face', 0.55],
  ['telephone', 0.35],
  ['video', 0.1],
]);
const PRESCRIPTIONS_PER_CONTACT = weighted([
  [0, 0.2],
  [1, 0.5],
  [2, 0.2],
  [3, 0.1],
]);
const OUTCOME = weighted([
  ['attended', 0.35],
  ['completed', 0.3],
  ['declined', 0.15],
  ['lost_contact', 0.2],
]);
const NEED = weighted<(typeof NEEDS)[number]>([
  ['housing', 0.12],
  ['debt', 0.12],
  ['benefits', 0.14],
  ['employment', 0.09],
  ['food', 0.1],
  ['fuel', 0.08],
  ['isolation', 0.14],
  ['education', 0.06],
  ['volunteering', 0.05],
  ['physical_activity', 0.05],
  ['other', 0.05],
]);

function via(referrer: string, rng: Rng): string {
  if (referrer === 'cmht' || referrer === 'eit' || referrer === 'crht') return 'elemental';
  if (referrer === 'gp') return rng() < 0.7 ? 'card' : 'elemental';
  if (referrer === 'self') return 'walk_in';
  return rng() < 0.5 ? 'elemental' : 'walk_in';
}

/** A time in opening hours (09:00-18:00) on the day of `ms`. */
function openingHours(ms: number, rng: Rng): number {
  return startOfDay(ms) + 9 * HOUR_MS + Math.floor(rng() * 9 * 60) * MINUTE_MS;
}

function swemwbsItems(level: number, rng: Rng): number[] {
  return Array.from({ length: 7 }, () =>
    Math.min(5, Math.max(1, Math.round(level + 0.7 * normal(rng)))),
  );
}

const nextId = (prefix: string, n: number) => `${prefix}-${String(n).padStart(7, '0')}`;

/**
 * One cohort member's Life Rooms activity from the index date (the first contact: a visit or a
 * referral) until the end of the extract or death: visits, referrals, pathways contacts with
 * social prescriptions and their outcomes, course enrolments with session attendance, and
 * SWEMWBS at baseline and follow-up (follow-up about 0.35 points per item higher on average).
 */
export function simulateLifeRooms(
  person: Person,
  ctx: LifeRoomsContext,
  deathMs: number | undefined,
  emit: (record: DraftRecord) => void,
): void {
  const t0 = person.indexMs;
  if (t0 === undefined) return;
  const rng = createRng(ctx.seed, 'lr', person.index);
  const stop = Math.min(ctx.endMs, deathMs ?? Infinity);
  const engagement = lognormalMeanOne(rng, 0.7);
  // Most people come for a while, then stop: an active spell of 1 month plus ~Exp(10 months).
  const activeUntil = Math.min(stop, t0 + (30 + Math.floor(-Math.log(1 - rng()) * 304)) * DAY_MS);
  const activeYears = (activeUntil - t0) / (365.25 * DAY_MS);
  const la = residenceAt(person, t0).home.localAuthority ?? '';
  const site = SITES_BY_LA[la] ?? SITES_ELSEWHERE;
  const during = () => openingHours(t0 + DAY_MS + rng() * (activeUntil - t0 - DAY_MS), rng);

  const record = (
    recordType: string,
    at: number,
    fields: DraftRecord['fields'],
    isIndex = false,
  ) => {
    if (at >= stop || at < t0) return;
    const home = residenceAt(person, at).home;
    emit({
      source: 'liferooms',
      recordType,
      occurredMs: at,
      nhsNumber: person.nhsNumber,
      identity: {
        given_name: person.givenName,
        family_name: person.familyName,
        date_of_birth: isoDate(person.birthMs),
        sex: person.sex,
        postcode: home.postcode,
      },
      fields,
      ...(isIndex ? { isIndex } : {}),
    });
  };
  const referral = (at: number, isIndex = false) => {
    const referrer = REFERRER(rng);
    record(
      'referral',
      at,
      { referral_id: nextId('ref', ++ctx.counters.referral), referrer, via: via(referrer, rng) },
      isIndex,
    );
  };
  const pathwaysContact = (at: number) => {
    const contactId = nextId('pwc', ++ctx.counters.contact);
    record('pathways_contact', at, { contact_id: contactId, mode: PATHWAYS_MODE(rng) });
    const prescriptions = PRESCRIPTIONS_PER_CONTACT(rng);
    for (let k = 0; k < prescriptions; k++) {
      const need = NEED(rng);
      const prescriptionId = nextId('sp', ++ctx.counters.prescription);
      const issued = at + (k + 1) * 5 * MINUTE_MS;
      record('social_prescription', issued, {
        prescription_id: prescriptionId,
        need,
        provider_id: pickOne(rng, PROVIDERS_BY_NEED[need]),
      });
      if (rng() < 0.85) {
        record(
          'prescription_outcome',
          openingHours(issued + intBetween(rng, 14, 70) * DAY_MS, rng),
          {
            prescription_id: prescriptionId,
            outcome: OUTCOME(rng),
          },
        );
      }
    }
  };

  // The index contact: a referral (then a pathways contact soon after) or a visit.
  const referredFirst = rng() < 0.45;
  if (referredFirst) {
    referral(t0, true);
    pathwaysContact(openingHours(t0 + intBetween(rng, 3, 20) * DAY_MS, rng));
  } else {
    record('visit', t0, { site: site(rng), purpose: PURPOSE(rng) }, true);
  }

  for (let n = poisson(rng, 5 * engagement * activeYears); n > 0; n--) {
    record('visit', during(), { site: site(rng), purpose: PURPOSE(rng) });
  }
  for (let n = poisson(rng, 0.3 * activeYears); n > 0; n--) referral(during());
  for (let n = poisson(rng, 1.4 * Math.sqrt(engagement)); n > 0; n--) pathwaysContact(during());

  const attendance = 0.55 + 0.4 * rng();
  for (let n = poisson(rng, 0.9 * engagement); n > 0; n--) {
    const enrolled = during();
    const course = pickOne(rng, COURSES);
    record('course_enrolment', enrolled, {
      course_id: course.courseId,
      course_title: course.title,
      delivery: rng() < 0.35 ? 'online' : 'face_to_face',
    });
    // Runs start on the Monday after enrolment, weekly; people in the same run share sessions.
    const day = startOfDay(enrolled) / DAY_MS;
    const sinceMonday = (((day - 4) % 7) + 7) % 7; // day 4 (1970-01-05) was a Monday
    const monday = (day + 7 - sinceMonday) * DAY_MS;
    const run = isoDate(monday).replace(/-/g, '');
    const hour = rng() < 0.5 ? 10 : 14;
    for (let s = 1; s <= course.sessions; s++) {
      record('session_attendance', monday + (s - 1) * 7 * DAY_MS + hour * HOUR_MS, {
        course_id: course.courseId,
        session_id: `${course.courseId}-${run}-s${s}`,
        attended: rng() < attendance,
      });
    }
  }

  if (rng() < 0.75) {
    const level = 2.75 + 0.5 * normal(rng);
    const baseline = openingHours(t0 + intBetween(rng, 0, 14) * DAY_MS, rng);
    const at = Math.max(baseline, t0 + MINUTE_MS);
    record('wellbeing_measure', at, {
      instrument: 'swemwbs',
      items: swemwbsItems(level, rng),
      timing: 'baseline',
    });
    if (rng() < 0.6) {
      const followUp = openingHours(at + intBetween(rng, 90, 270) * DAY_MS, rng);
      const improved = level + 0.35 + 0.3 * normal(rng);
      record('wellbeing_measure', followUp, {
        instrument: 'swemwbs',
        items: swemwbsItems(improved, rng),
        timing: 'follow_up',
      });
    }
  }
}
