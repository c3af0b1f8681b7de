import { mulberry32 } from '../matching/seeded-random';
import { inCanonicalOrder } from './canonical-order';
import { fitLogistic } from './logistic-regression';
import {
  addMonthsToDay,
  DataSpan,
  eventsIn,
  EvaluationSubject,
  imdDecileAt,
  MonthWindow,
} from './evaluation-subject';

/**
 * How the matched comparison is built. Chosen by what the diagnostics and the validity study
 * showed (docs/VALIDITY.md):
 *
 * - **Covariates as of the index date**: age, sex, the IMD decile of the registration in force
 *   on that day (not the latest one), and the **pre-index trajectory**: the rate of every outcome
 *   family in each matching window (log(1 + rate)), so a person is matched on their history of
 *   use, not on one noisy 12-month count that picked controls whose use was transiently high.
 * - **Propensity score, nearest neighbour on its logit, exact on sex, with replacement, caliper
 *   0.2 SD**. Tried first: exact strata (sex x 5-year age band x IMD quintile) plus nearest
 *   neighbour on the standardised trajectory (a diagonal Mahalanobis distance), without
 *   replacement. It left |SMD| of 0.2-0.4 on the baseline rates: strata held ~50 candidates and
 *   16 noisy rates cannot all be close at once. The score weighs each rate by how much it
 *   predicts Life Rooms use, which is what balance needs.
 * - **With replacement**: users are chosen for high need, and high-need non-users are scarce
 *   (about one per heavy user at 5 non-users per user). Without replacement the heaviest users
 *   got light controls or none, and a caliper that drops them changes the question (the effect
 *   on the treated): the validity study showed a crisis effect biased 70% towards zero that
 *   way. A control used by several users counts in each of their sets.
 * - **Matching windows end before the DiD baseline starts** (`DEFAULT_EVALUATION_DESIGN`):
 *   matching on the very counts the difference in differences uses as its baseline builds
 *   regression to the mean into the estimate (controls picked for a chance high fall back
 *   afterwards; users, picked for high need, do not). The baseline is then a fresh measurement
 *   for both groups, and a remaining level difference is removed by the differencing.
 */
export interface TrajectoryMatchingSettings {
  /** Controls per user (at most). */
  k: number;
  seed: number;
  ageBandYears: number;
  /** Measures whose pre-index rates form the trajectory. */
  families: readonly string[];
  /** Pre-index windows the trajectory is measured in (months relative to the index date). */
  windows: readonly MonthWindow[];
  /** Largest distance of a control from its user, in SDs of the logit of the propensity score. */
  caliper: number;
}

export interface TrajectoryMatchedSet {
  userId: string;
  indexDay: number;
  controlIds: string[];
}

export interface BalanceRowV2 {
  covariate: string;
  meanUsers: number;
  meanControls: number;
  smd: number;
}

export interface TrajectoryMatchingResult {
  settings: TrajectoryMatchingSettings;
  sets: TrajectoryMatchedSet[];
  /** Users with no control in their stratum within the caliper (or without demographics). */
  unmatchedUsers: number;
  /** Matched users with fewer than k controls. */
  partialUsers: number;
  /** Users whose nearest control was beyond the caliper (matched to that one control). */
  outsideCaliperUsers: number;
  balance: { before: BalanceRowV2[]; after: BalanceRowV2[] };
}

/** Covariates at an index day: age, sex, IMD decile and the trajectory rates. */
export function covariatesAt(
  s: EvaluationSubject,
  indexDay: number,
  settings: Pick<TrajectoryMatchingSettings, 'families' | 'windows'>,
  span: DataSpan,
): Record<string, number> {
  const out: Record<string, number> = {
    age: yearOf(indexDay) - (s.yearOfBirth ?? 0),
    female: s.sex === 'F' ? 1 : 0,
    imd_decile: imdDecileAt(s, indexDay) ?? 0,
  };
  for (const [from, to] of settings.windows) {
    const a = addMonthsToDay(indexDay, from);
    const b = addMonthsToDay(indexDay, to);
    for (const f of settings.families) {
      const e = eventsIn(s, f, a, b, span);
      out[`${f}_rate_m${from}_m${to}`] = e.years > 0 ? e.events / e.years : 0;
    }
  }
  return out;
}

/**
 * Matches each cohort user to their k nearest non-users of the same sex on the logit of a
 * propensity score fitted on age, sex, IMD decile at the index date and the pre-index
 * trajectory (see `TrajectoryMatchingSettings` for why). Pure and deterministic for a seed:
 * candidates are taken in canonical order (by their data, not their pseudonyms) and given a
 * pseudo index date drawn (seeded) from the users' index dates, so their trajectories are
 * measured over the same calendar as the users'.
 */
export function matchOnTrajectory(
  users: readonly EvaluationSubject[],
  candidates: readonly EvaluationSubject[],
  span: DataSpan,
  settings: TrajectoryMatchingSettings,
): TrajectoryMatchingResult {
  const random = mulberry32(settings.seed);
  const userIds = new Set(users.map((u) => u.personId));
  // In an order that does not depend on the pseudonyms (see `inCanonicalOrder`): the same
  // data give the same matched sets under every pseudonymisation key.
  const eligibleUsers = inCanonicalOrder(
    users.filter((u) => u.indexDay !== null && hasDemographics(u)),
  );
  const pool = inCanonicalOrder(
    candidates.filter((c) => !userIds.has(c.personId) && c.indexDay === null && hasDemographics(c)),
  )
    .map((s) => ({
      s,
      pseudoIndexDay: eligibleUsers.length
        ? eligibleUsers[Math.floor(random() * eligibleUsers.length)].indexDay!
        : 0,
      tieKey: random(),
    }))
    .filter((c) => c.s.deathDay === null || c.s.deathDay > c.pseudoIndexDay);
  const rowOf = (s: EvaluationSubject, day: number) => matchingRow(s, day, settings, span);
  // Trajectories are measured from the first day of the index month: a control scored there
  // has its matching windows end no later than the user's, so nothing of the DiD baseline leaks
  // into who is chosen (scoring controls at another date let the selection reach into the
  // baseline and build regression to the mean back in).
  const userMonth = eligibleUsers.map((u) => monthStartOf(u.indexDay!));
  const userRows = eligibleUsers.map((u, i) => rowOf(u, userMonth[i]));
  const poolRows = pool.map((c) => rowOf(c.s, monthStartOf(c.pseudoIndexDay)));
  const logit = fitLogistic(
    [...userRows, ...poolRows],
    [...userRows.map(() => 1), ...poolRows.map(() => 0)],
  );
  const userScores = userRows.map(logit);
  const caliper =
    settings.caliper * standardDeviation([...userScores, ...poolRows.map((r) => logit(r))]);
  // Candidates scored at each index month, sorted by score within sex.
  type Scored = { c: (typeof pool)[number]; score: number };
  const byMonth = new Map<number, Map<string, Scored[]>>();
  const listsAt = (month: number) => {
    let bySex = byMonth.get(month);
    if (bySex) return bySex;
    bySex = new Map();
    for (const c of pool) {
      const entry = { c, score: logit(rowOf(c.s, month)) };
      const list = bySex.get(c.s.sex!);
      if (list) list.push(entry);
      else bySex.set(c.s.sex!, [entry]);
    }
    for (const list of bySex.values()) {
      list.sort((a, b) => a.score - b.score || a.c.tieKey - b.c.tieKey);
    }
    byMonth.set(month, bySex);
    return bySex;
  };

  const sets: TrajectoryMatchedSet[] = [];
  let unmatched = users.length - eligibleUsers.length;
  let partial = 0;
  let outsideCaliper = 0;
  eligibleUsers.forEach((user, i) => {
    const indexDay = user.indexDay!;
    const score = userScores[i];
    const list = listsAt(userMonth[i]).get(user.sex!) ?? [];
    const usable = (e: Scored) => e.c.s.deathDay === null || e.c.s.deathDay > indexDay;
    // Walk outwards from the user's score: the k nearest living candidates.
    let lo = lowerBoundBy(list, score) - 1;
    let hi = lo + 1;
    const chosen: Array<{ c: Scored; d: number }> = [];
    while (chosen.length < settings.k && (lo >= 0 || hi < list.length)) {
      const dl = lo >= 0 ? score - list[lo].score : Number.POSITIVE_INFINITY;
      const dh = hi < list.length ? list[hi].score - score : Number.POSITIVE_INFINITY;
      const next = dl <= dh ? list[lo--] : list[hi++];
      if (usable(next)) chosen.push({ c: next, d: Math.min(dl, dh) });
    }
    // Within the caliper if possible; otherwise the single nearest, counted, so that the
    // heaviest users are not dropped: dropping them changes the question (effect on the treated).
    const within = chosen.filter((e) => e.d <= caliper);
    const taken = within.length > 0 ? within : chosen.slice(0, 1);
    if (taken.length === 0) {
      unmatched++;
      return;
    }
    if (within.length === 0) outsideCaliper++;
    if (taken.length < settings.k) partial++;
    sets.push({
      userId: user.personId,
      indexDay,
      controlIds: taken.map((e) => e.c.c.s.personId),
    });
  });
  sets.sort((a, b) => a.indexDay - b.indexDay || compare(a.userId, b.userId));

  const byId = new Map(pool.map((c) => [c.s.personId, c.s] as const));
  const usersById = new Map(users.map((u) => [u.personId, u] as const));
  const before = balanceTable(
    eligibleUsers.map((u) => ({ x: covariatesAt(u, u.indexDay!, settings, span), w: 1 })),
    pool.map((c) => ({ x: covariatesAt(c.s, c.pseudoIndexDay, settings, span), w: 1 })),
  );
  const after = balanceTable(
    sets.map((set) => ({
      x: covariatesAt(usersById.get(set.userId)!, set.indexDay, settings, span),
      w: 1,
    })),
    sets.flatMap((set) =>
      set.controlIds.map((id) => ({
        x: covariatesAt(byId.get(id)!, set.indexDay, settings, span),
        w: 1 / set.controlIds.length,
      })),
    ),
  );
  return {
    settings,
    sets,
    unmatchedUsers: unmatched,
    partialUsers: partial,
    outsideCaliperUsers: outsideCaliper,
    balance: { before, after },
  };
}

/**
 * The row the propensity score is fitted on, for a person measured at `day` (the first day of
 * the index month): age, age^2, female, IMD decile (5.5 and a flag when unknown), the trajectory
 * (log(1 + rate) per window and family) and each family's mean raw rate over the windows.
 */
export function matchingRow(
  s: EvaluationSubject,
  day: number,
  settings: Pick<TrajectoryMatchingSettings, 'families' | 'windows'>,
  span: DataSpan,
): number[] {
  const age = yearOf(day) - s.yearOfBirth!;
  const imd = imdDecileAt(s, day);
  const trajectory = vectorAt(s, day, settings, span);
  // log(1 + rate) per window for the shape, and the rate itself over all windows so the
  // heavy tail (the users who matter most for totals) balances on the scale SMDs are read on.
  const families = settings.families.length;
  const raw = settings.families.map((_, f) => {
    let sum = 0;
    for (let w = 0; w < trajectory.length; w += families) sum += Math.expm1(trajectory[w + f]);
    return sum / (trajectory.length / families);
  });
  return [
    age,
    age * age,
    s.sex === 'F' ? 1 : 0,
    imd ?? 5.5,
    imd === null ? 1 : 0,
    ...trajectory,
    ...raw,
  ];
}

/** Day number of the first day of the month that contains `day`. */
export function monthStartOf(day: number): number {
  const d = new Date(day * 86_400_000);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 86_400_000);
}

function lowerBoundBy(list: ReadonlyArray<{ score: number }>, x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].score < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type WindowSettings = Pick<TrajectoryMatchingSettings, 'windows'>;
const boundsCache = new WeakMap<WindowSettings, Map<number, number[]>>();

/** Day boundaries of the matching windows for an index day (cached: many candidates share it). */
function windowBounds(indexDay: number, settings: WindowSettings): number[] {
  let byDay = boundsCache.get(settings);
  if (!byDay) boundsCache.set(settings, (byDay = new Map()));
  let bounds = byDay.get(indexDay);
  if (!bounds) {
    bounds = settings.windows.flatMap(([from, to]) => [
      addMonthsToDay(indexDay, from),
      addMonthsToDay(indexDay, to),
    ]);
    byDay.set(indexDay, bounds);
  }
  return bounds;
}

function vectorAt(
  s: EvaluationSubject,
  indexDay: number,
  settings: Pick<TrajectoryMatchingSettings, 'families' | 'windows'>,
  span: DataSpan,
): number[] {
  const bounds = windowBounds(indexDay, settings);
  const out: number[] = [];
  for (let w = 0; w < bounds.length; w += 2) {
    for (const f of settings.families) {
      const e = eventsIn(s, f, bounds[w], bounds[w + 1], span);
      out.push(e.years > 0 ? Math.log1p(e.events / e.years) : 0);
    }
  }
  return out;
}

/** Weighted standardised mean differences of every covariate (pooled SD of the two groups). */
export function balanceTable(
  users: ReadonlyArray<{ x: Record<string, number>; w: number }>,
  controls: ReadonlyArray<{ x: Record<string, number>; w: number }>,
): BalanceRowV2[] {
  const names = Object.keys(users[0]?.x ?? controls[0]?.x ?? {});
  return names.map((name) => {
    const a = moments(users.map((u) => ({ v: u.x[name], w: u.w })));
    const b = moments(controls.map((c) => ({ v: c.x[name], w: c.w })));
    const pooled = Math.sqrt((a.variance + b.variance) / 2);
    const diff = a.mean - b.mean;
    const smd = pooled === 0 ? (diff === 0 ? 0 : Math.sign(diff) * Infinity) : diff / pooled;
    return {
      covariate: name,
      meanUsers: round(a.mean),
      meanControls: round(b.mean),
      smd: round(smd),
    };
  });
}

function moments(values: ReadonlyArray<{ v: number; w: number }>) {
  let total = 0;
  let sum = 0;
  for (const x of values) {
    total += x.w;
    sum += x.w * x.v;
  }
  if (total === 0) return { mean: 0, variance: 0 };
  const mean = sum / total;
  let ss = 0;
  for (const x of values) ss += x.w * (x.v - mean) ** 2;
  return { mean, variance: ss / total };
}

function standardDeviation(values: readonly number[]): number {
  return Math.sqrt(moments(values.map((v) => ({ v, w: 1 }))).variance);
}

function hasDemographics(s: EvaluationSubject): boolean {
  return s.yearOfBirth !== null && s.sex !== null && s.registrations.length > 0;
}

function yearOf(day: number): number {
  return new Date(day * 86_400_000).getUTCFullYear();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10000) / 10000 : x;
}
