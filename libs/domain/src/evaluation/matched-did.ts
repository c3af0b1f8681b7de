import type { Random } from '../matching/seeded-random';
import {
  addMonthsToDay,
  DataSpan,
  eventsIn,
  EvaluationSubject,
  MonthWindow,
} from './evaluation-subject';
import type { TrajectoryMatchedSet } from './match-on-trajectory';

/** Rates per person-year of a group in the two windows of a difference in differences. */
export interface WindowRates {
  before: number;
  after: number;
  personYearsBefore: number;
  personYearsAfter: number;
}

export interface MatchedDid {
  /** Matched sets that contributed (a user and at least one control). */
  sets: number;
  nUsers: number;
  /** Control places over all sets (a control reused by several users counts in each). */
  nControls: number;
  /** Different people among the controls (matching is with replacement). */
  distinctControls: number;
  users: WindowRates;
  controls: WindowRates;
  /** (users after - before) - (controls after - before), per person-year. */
  did: number;
  /** 95% percentile bootstrap interval (users and distinct controls resampled; see below). */
  ci95: [number, number];
}

// Totals: user and (1/m-weighted) control events and years, before and after.
const U_EB = 0;
const U_YB = 1;
const U_EA = 2;
const U_YA = 3;
const C_EB = 4;
const C_YB = 5;
const C_EA = 6;
const C_YA = 7;
const FIELDS = 8;

/**
 * Difference in differences over matched sets between two windows relative to each set's index
 * date (`before` and `after`; both may precede the index date, for a placebo). Rates are group
 * totals of events over person-years, censored at death and the data span; each of a user's m
 * controls weighs 1/m in that set.
 *
 * The interval is a bootstrap over the design's independent units. Controls are matched with
 * replacement, so one control can serve many sets: resampling whole sets would count a reused
 * control as that many independent draws and understate the interval (the validity study found
 * 63-90% coverage that way). Each user is resampled with their set's windows, and each distinct
 * control with its total weight over every set it serves, so the interval reflects how much
 * rests on a heavily reused control. Users and controls are different people and the sets
 * condition on the matching, which is the usual conditional-on-matches bootstrap.
 */
export function matchedDifferenceInDifferences(
  sets: readonly TrajectoryMatchedSet[],
  subjects: ReadonlyMap<string, EvaluationSubject>,
  measure: string,
  windows: { before: MonthWindow; after: MonthWindow },
  span: DataSpan,
  bootstrapReps: number,
  random: Random,
): MatchedDid {
  const userSums: number[] = [];
  const controlSums = new Map<string, Float64Array>();
  let n = 0;
  let nControls = 0;
  for (const set of sets) {
    const user = subjects.get(set.userId);
    const controls = set.controlIds.filter((id) => subjects.has(id));
    if (!user || controls.length === 0) continue;
    const b0 = addMonthsToDay(set.indexDay, windows.before[0]);
    const b1 = addMonthsToDay(set.indexDay, windows.before[1]);
    const a0 = addMonthsToDay(set.indexDay, windows.after[0]);
    const a1 = addMonthsToDay(set.indexDay, windows.after[1]);
    const ub = eventsIn(user, measure, b0, b1, span);
    const ua = eventsIn(user, measure, a0, a1, span);
    userSums.push(ub.events, ub.years, ua.events, ua.years);
    const w = 1 / controls.length;
    for (const id of controls) {
      const c = subjects.get(id)!;
      const cb = eventsIn(c, measure, b0, b1, span);
      const ca = eventsIn(c, measure, a0, a1, span);
      let acc = controlSums.get(id);
      if (!acc) controlSums.set(id, (acc = new Float64Array(4)));
      acc[0] += w * cb.events;
      acc[1] += w * cb.years;
      acc[2] += w * ca.events;
      acc[3] += w * ca.years;
    }
    nControls += controls.length;
    n++;
  }
  const controlList = [...controlSums.keys()].sort().map((id) => controlSums.get(id)!);
  const total = new Float64Array(FIELDS);
  for (let i = 0; i < n; i++) for (let f = 0; f < 4; f++) total[f] += userSums[i * 4 + f];
  for (const c of controlList) for (let f = 0; f < 4; f++) total[4 + f] += c[f];
  const estimates: number[] = [];
  const draw = new Float64Array(FIELDS);
  const m = controlList.length;
  if (n > 1 && m > 1) {
    for (let rep = 0; rep < bootstrapReps; rep++) {
      draw.fill(0);
      for (let i = 0; i < n; i++) {
        const o = Math.floor(random() * n) * 4;
        for (let f = 0; f < 4; f++) draw[f] += userSums[o + f];
      }
      for (let j = 0; j < m; j++) {
        const c = controlList[Math.floor(random() * m)];
        for (let f = 0; f < 4; f++) draw[4 + f] += c[f];
      }
      const value = didOf(draw);
      if (Number.isFinite(value)) estimates.push(value);
    }
  }
  estimates.sort((a, b) => a - b);
  return {
    sets: n,
    nUsers: n,
    nControls,
    distinctControls: m,
    users: ratesOf(total, U_EB, U_YB, U_EA, U_YA),
    controls: ratesOf(total, C_EB, C_YB, C_EA, C_YA),
    did: didOf(total),
    ci95: estimates.length
      ? [quantile(estimates, 0.025), quantile(estimates, 0.975)]
      : [Number.NaN, Number.NaN],
  };
}

/** One month of an event-study series: rates per person-year of users and matched controls. */
export interface EventStudyPoint {
  month: number;
  users: number;
  controls: number;
  userPersonYears: number;
  controlPersonYears: number;
  userEvents: number;
  controlEvents: number;
}

/**
 * Monthly rates of users and their matched controls from `fromMonth` to `toMonth` (exclusive)
 * relative to the index date: the picture a reviewer reads parallel pre-trends and a dip from.
 */
export function eventStudy(
  sets: readonly TrajectoryMatchedSet[],
  subjects: ReadonlyMap<string, EvaluationSubject>,
  measure: string,
  fromMonth: number,
  toMonth: number,
  span: DataSpan,
): EventStudyPoint[] {
  const months = toMonth - fromMonth;
  const acc = new Float64Array(months * 4);
  for (const set of sets) {
    const user = subjects.get(set.userId);
    const controls = set.controlIds
      .map((id) => subjects.get(id))
      .filter((c): c is EvaluationSubject => c !== undefined);
    if (!user || controls.length === 0) continue;
    const bounds: number[] = [];
    for (let m = fromMonth; m <= toMonth; m++) bounds.push(addMonthsToDay(set.indexDay, m));
    const w = 1 / controls.length;
    for (let i = 0; i < months; i++) {
      const u = eventsIn(user, measure, bounds[i], bounds[i + 1], span);
      acc[i * 4] += u.events;
      acc[i * 4 + 1] += u.years;
      for (const c of controls) {
        const e = eventsIn(c, measure, bounds[i], bounds[i + 1], span);
        acc[i * 4 + 2] += w * e.events;
        acc[i * 4 + 3] += w * e.years;
      }
    }
  }
  return Array.from({ length: months }, (_, i) => ({
    month: fromMonth + i,
    users: acc[i * 4 + 1] > 0 ? acc[i * 4] / acc[i * 4 + 1] : Number.NaN,
    controls: acc[i * 4 + 3] > 0 ? acc[i * 4 + 2] / acc[i * 4 + 3] : Number.NaN,
    userEvents: acc[i * 4],
    userPersonYears: acc[i * 4 + 1],
    controlEvents: acc[i * 4 + 2],
    controlPersonYears: acc[i * 4 + 3],
  }));
}

function ratesOf(t: Float64Array, eb: number, yb: number, ea: number, ya: number): WindowRates {
  return {
    before: t[yb] > 0 ? t[eb] / t[yb] : Number.NaN,
    after: t[ya] > 0 ? t[ea] / t[ya] : Number.NaN,
    personYearsBefore: t[yb],
    personYearsAfter: t[ya],
  };
}

function didOf(t: Float64Array): number {
  return t[U_EA] / t[U_YA] - t[U_EB] / t[U_YB] - (t[C_EA] / t[C_YA] - t[C_EB] / t[C_YB]);
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
