import {
  addMonthsToDay,
  DataSpan,
  eventsIn,
  EvaluationSubject,
  MonthWindow,
} from './evaluation-subject';
import { fitLinear } from './bias-correction';
import type { TrajectoryMatchedSet } from './match-on-trajectory';
import { matchingVariance, WindowCounts } from './matching-variance';

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
  /** Standard error for matching with replacement (Abadie-Imbens; see `matchingVariance`). */
  se: number;
  /** 95% interval: did +- 1.96 se. */
  ci95: [number, number];
  /**
   * What the bias correction took off the plain matched estimate (per person-year; 0 without
   * one): the part of the difference explained by the covariates left unequal after matching.
   */
  biasCorrection: number;
}

export interface MatchedDidOptions {
  /**
   * Covariates of a person as of a set's index day, for the Abadie-Imbens (2011) bias
   * correction (`biasCorrectedShifts`); omitted, the plain matching estimator.
   */
  covariates?: (subject: EvaluationSubject, indexDay: number) => readonly number[];
}

/** How the interval is computed, in words for a published estimate. */
export const MATCHED_DID_INTERVAL =
  'normal, with an Abadie-Imbens standard error for matching with replacement (matched sets plus reused controls)';

/**
 * Difference in differences over matched sets between two windows relative to each set's index
 * date (`before` and `after`; both may precede the index date, for a placebo). Rates are group
 * totals of events over person-years, censored at death and the data span; each of a user's m
 * controls weighs 1/m in that set. The interval uses the analytic variance in
 * `matchingVariance`, which says why it replaced the bootstrap.
 */
export function matchedDifferenceInDifferences(
  sets: readonly TrajectoryMatchedSet[],
  subjects: ReadonlyMap<string, EvaluationSubject>,
  measure: string,
  windows: { before: MonthWindow; after: MonthWindow },
  span: DataSpan,
  options: MatchedDidOptions = {},
): MatchedDid {
  const counted: Array<{
    user: WindowCounts;
    controls: Array<{ id: string; counts: WindowCounts; shift?: number }>;
  }> = [];
  const covariatesOf: Array<{ user: readonly number[]; controls: Array<readonly number[]> }> = [];
  const distinct = new Set<string>();
  const users = [0, 0, 0, 0];
  const controls = [0, 0, 0, 0];
  let nControls = 0;
  for (const set of sets) {
    const user = subjects.get(set.userId);
    const ids = set.controlIds.filter((id) => subjects.has(id));
    if (!user || ids.length === 0) continue;
    const b0 = addMonthsToDay(set.indexDay, windows.before[0]);
    const b1 = addMonthsToDay(set.indexDay, windows.before[1]);
    const a0 = addMonthsToDay(set.indexDay, windows.after[0]);
    const a1 = addMonthsToDay(set.indexDay, windows.after[1]);
    const countsOf = (s: EvaluationSubject): WindowCounts => {
      const b = eventsIn(s, measure, b0, b1, span);
      const a = eventsIn(s, measure, a0, a1, span);
      return [b.events, b.years, a.events, a.years];
    };
    const u = countsOf(user);
    for (let f = 0; f < 4; f++) users[f] += u[f];
    const w = 1 / ids.length;
    const c = ids.map((id) => {
      const counts = countsOf(subjects.get(id)!);
      for (let f = 0; f < 4; f++) controls[f] += w * counts[f];
      distinct.add(id);
      return { id, counts };
    });
    counted.push({ user: u, controls: c });
    if (options.covariates) {
      const x = options.covariates;
      covariatesOf.push({
        user: x(user, set.indexDay),
        controls: ids.map((id) => x(subjects.get(id)!, set.indexDay)),
      });
    }
    nControls += ids.length;
  }
  const n = counted.length;
  let biasCorrection = 0;
  if (options.covariates && n > 1) {
    const shifts = biasCorrectedShifts(counted, covariatesOf, controls);
    counted.forEach((set, s) => {
      set.controls.forEach((c, j) => {
        c.shift = shifts[s][j];
        biasCorrection += shifts[s][j] / set.controls.length;
      });
    });
  }
  const did = didOf(users, controls) - biasCorrection;
  const se =
    n > 1 && distinct.size > 1
      ? matchingVariance(counted, {
          users: users as unknown as WindowCounts,
          controls: controls as unknown as WindowCounts,
        }).se
      : Number.NaN;
  const ok = Number.isFinite(did) && Number.isFinite(se);
  return {
    sets: n,
    nUsers: n,
    nControls,
    distinctControls: distinct.size,
    users: ratesOf(users),
    controls: ratesOf(controls),
    did,
    se: ok ? se : Number.NaN,
    ci95: ok ? [did - Z_95 * se, did + Z_95 * se] : [Number.NaN, Number.NaN],
    biasCorrection,
  };
}

/**
 * The Abadie-Imbens (2011) bias correction for matching estimators, on the difference in
 * differences. Matching on many continuous covariates leaves each control a little off its
 * user (|SMD| up to 0.1 here), and a difference that predicts the outcome's change biases the
 * estimate by O(N^-1/k) however many people there are. The correction fits the controls'
 * change (a linear regression mu of each control's linearised after-minus-before rate on its
 * covariates, weighted by its use) and moves each control's outcome to its user's covariates:
 * Y_j + mu(X_user) - mu(X_j). Returned per set and control, in the linearised units of
 * `matchingVariance` (so its variance uses the adjusted outcomes too); their 1/m-weighted sum
 * over sets is what the plain estimate overstates.
 *
 * Not the service's estimator, only the validity study's `--bias-corrected`: built to test
 * whether residual imbalance explained emergency admissions' -10.8% relative bias (v4). On 60
 * seeds it did not (it moved that measure by +0.0008 +- 0.0009 a person-year), and its interval,
 * which leaves out the regression's own noise, came out narrower than its spread (A&E, crisis)
 * where the plain one is honest (docs/VALIDITY.md, v5).
 */
export function biasCorrectedShifts(
  sets: ReadonlyArray<{ controls: ReadonlyArray<{ counts: WindowCounts }> }>,
  covariates: ReadonlyArray<{
    user: readonly number[];
    controls: ReadonlyArray<readonly number[]>;
  }>,
  controlTotals: readonly number[],
): number[][] {
  const n = sets.length;
  const [ceb, cyb, cea, cya] = controlTotals;
  const rateBefore = ceb / cyb;
  const rateAfter = cea / cya;
  // n x the linearised outcome: about the control's change in rate minus the group's.
  const change = (c: WindowCounts) =>
    n * ((c[2] - rateAfter * c[3]) / cya - (c[0] - rateBefore * c[1]) / cyb);
  const rows: Array<readonly number[]> = [];
  const y: number[] = [];
  const w: number[] = [];
  sets.forEach((set, s) => {
    set.controls.forEach((c, j) => {
      rows.push(covariates[s].controls[j]);
      y.push(change(c.counts));
      w.push(1 / set.controls.length);
    });
  });
  if (!(cyb > 0 && cya > 0) || rows.length < 2) return sets.map((set) => set.controls.map(() => 0));
  const mu = fitLinear(rows, y, w);
  return sets.map((set, s) => {
    const atUser = mu(covariates[s].user);
    return covariates[s].controls.map((x) => (atUser - mu(x)) / n);
  });
}

const Z_95 = 1.959964;

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

function ratesOf(t: readonly number[]): WindowRates {
  return {
    before: t[1] > 0 ? t[0] / t[1] : Number.NaN,
    after: t[3] > 0 ? t[2] / t[3] : Number.NaN,
    personYearsBefore: t[1],
    personYearsAfter: t[3],
  };
}

function didOf(u: readonly number[], c: readonly number[]): number {
  return u[2] / u[3] - u[0] / u[1] - (c[2] / c[3] - c[0] / c[1]);
}
