import { dayNumber, dayNumberAfterMonths } from '../matching/calendar';
import type { Random } from '../matching/seeded-random';

/** One person in the outcome comparison: a cohort user or a matched control. */
export interface OutcomeSubject {
  group: 'user' | 'control';
  /** The user's index date (a control carries the index date of the user it was matched to). */
  indexDate: string;
  /** Weight in its group: 1 for users, 1/m for each of a user's m controls. */
  weight: number;
  /** Day number of death, when known (censors the after window). */
  deathDay?: number | null;
  /** Events of the measure: day number and value (1 for a contact, the cost for cost). */
  events: ReadonlyArray<{ day: number; value: number }>;
}

export interface OutcomeSettings {
  beforeMonths: number;
  afterMonths: number;
  /** ISO date the data run to (exclusive): after windows are censored here. */
  dataEnd: string;
  /** ISO date the data start at: before windows are censored here (default: not censored). */
  dataStart?: string;
  bootstrapReps: number;
}

export const DEFAULT_OUTCOME_SETTINGS: Omit<OutcomeSettings, 'dataEnd'> = Object.freeze({
  beforeMonths: 12,
  afterMonths: 12,
  bootstrapReps: 1000,
});

export interface GroupRates {
  /** Per person-year in the window before the index date. */
  before: number;
  /** Per person-year in the window after the index date (censored at death or data end). */
  after: number;
  personYearsBefore: number;
  personYearsAfter: number;
}

export interface OutcomeComparison {
  nUsers: number;
  nControls: number;
  users: GroupRates;
  controls: GroupRates;
  /** Difference in differences: (users after - before) - (controls after - before), per person-year. */
  did: number;
  /** 95% percentile bootstrap interval for `did` (persons resampled within group). */
  ci95: [number, number];
}

const DAYS_PER_YEAR = 365.25;
// Cached for the bootstrap's hot loop (global lookups are slow in sandboxed runs).
const floor = Math.floor;

interface Exposure {
  w: number;
  countBefore: number;
  pyBefore: number;
  countAfter: number;
  pyAfter: number;
}

/**
 * Rates per person-year before and after the index date for users and matched controls, their
 * difference in differences and a seeded bootstrap interval. Pure: `random` comes from the caller.
 */
export function compareOutcomes(
  subjects: readonly OutcomeSubject[],
  settings: OutcomeSettings,
  random: Random,
): OutcomeComparison {
  const dataEndDay = dayNumber(settings.dataEnd);
  const dataStartDay = settings.dataStart
    ? dayNumber(settings.dataStart)
    : Number.NEGATIVE_INFINITY;
  const users: Exposure[] = [];
  const controls: Exposure[] = [];
  for (const s of subjects) {
    (s.group === 'user' ? users : controls).push(exposure(s, settings, dataStartDay, dataEndDay));
  }
  const u = rates(users);
  const c = rates(controls);
  const did = didOf(u, c);

  const estimates: number[] = [];
  if (users.length > 0 && controls.length > 0) {
    for (let rep = 0; rep < settings.bootstrapReps; rep++) {
      const value = didOf(rates(users, random), rates(controls, random));
      if (Number.isFinite(value)) estimates.push(value);
    }
  }
  estimates.sort((a, b) => a - b);
  const ci95: [number, number] = estimates.length
    ? [quantile(estimates, 0.025), quantile(estimates, 0.975)]
    : [Number.NaN, Number.NaN];
  return { nUsers: users.length, nControls: controls.length, users: u, controls: c, did, ci95 };
}

function exposure(
  s: OutcomeSubject,
  settings: OutcomeSettings,
  dataStartDay: number,
  dataEndDay: number,
): Exposure {
  const index = dayNumber(s.indexDate);
  const from = Math.max(dayNumberAfterMonths(s.indexDate, -settings.beforeMonths), dataStartDay);
  const death = s.deathDay ?? Number.POSITIVE_INFINITY;
  const beforeEnd = Math.min(index, death);
  const afterEnd = Math.min(
    dayNumberAfterMonths(s.indexDate, settings.afterMonths),
    death,
    dataEndDay,
  );
  let countBefore = 0;
  let countAfter = 0;
  for (const e of s.events) {
    if (e.day >= from && e.day < beforeEnd) countBefore += e.value;
    else if (e.day >= index && e.day < afterEnd) countAfter += e.value;
  }
  return {
    w: s.weight,
    countBefore,
    pyBefore: Math.max(0, beforeEnd - from) / DAYS_PER_YEAR,
    countAfter,
    pyAfter: Math.max(0, afterEnd - index) / DAYS_PER_YEAR,
  };
}

/** Group rates; with `random`, over a resample (with replacement) of the same size. */
function rates(group: readonly Exposure[], random?: Random): GroupRates {
  let cb = 0;
  let pb = 0;
  let ca = 0;
  let pa = 0;
  const n = group.length;
  for (let i = 0; i < n; i++) {
    const e = random ? group[floor(random() * n)] : group[i];
    cb += e.w * e.countBefore;
    pb += e.w * e.pyBefore;
    ca += e.w * e.countAfter;
    pa += e.w * e.pyAfter;
  }
  return {
    before: pb > 0 ? cb / pb : Number.NaN,
    after: pa > 0 ? ca / pa : Number.NaN,
    personYearsBefore: pb,
    personYearsAfter: pa,
  };
}

function didOf(u: GroupRates, c: GroupRates): number {
  return u.after - u.before - (c.after - c.before);
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
