import { mulberry32 } from '../matching/seeded-random';
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
 * show (docs/VALIDITY.md):
 *
 * - **Exact strata** on sex, age band at the index date and IMD quintile of the registration in
 *   force at the index date: these are cheap to match exactly and a reviewer checks them first.
 * - **Nearest neighbour on the pre-index trajectory** inside the stratum: the rates of every
 *   outcome family in each matching window, as log(1 + rate) standardised by the users' SD, with
 *   a root-mean-square distance (a diagonal Mahalanobis distance) and a caliper. One noisy
 *   12-month count selected controls whose use was transiently high; several families over two
 *   windows pin down a person's level of need far better. A propensity score was not used: it
 *   balances on average but lets a heavy user take a light control, and the baseline outcome
 *   rates are exactly what must balance here. Coarsened exact matching on 16 rates leaves most
 *   strata empty at this cohort size.
 * - **Matching windows end before the DiD baseline starts**: matching on the very counts the
 *   difference in differences uses as its baseline builds regression to the mean into the
 *   estimate (controls picked for a chance high fall back afterwards; users, picked for high
 *   need, do not). The baseline window is then a fresh measurement for both groups, and any
 *   remaining level difference is removed by the difference in differences. See
 *   `DEFAULT_EVALUATION_DESIGN` for the windows.
 * - Without replacement, so matched sets are independent clusters for the bootstrap.
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
  /** Largest root-mean-square standardised distance of a control from its user. */
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
  balance: { before: BalanceRowV2[]; after: BalanceRowV2[] };
}

interface Candidate {
  s: EvaluationSubject;
  tieKey: number;
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
 * Matches each cohort user to up to k non-users (see `TrajectoryMatchingSettings` for the
 * method and why). Pure and deterministic for a seed: candidates are ordered by person id, ties
 * by a seeded key, users processed heaviest pre-index use first (they have the fewest close
 * candidates), ties in a seeded order.
 */
export function matchOnTrajectory(
  users: readonly EvaluationSubject[],
  candidates: readonly EvaluationSubject[],
  span: DataSpan,
  settings: TrajectoryMatchingSettings,
): TrajectoryMatchingResult {
  const random = mulberry32(settings.seed);
  const userIds = new Set(users.map((u) => u.personId));
  const pool: Candidate[] = [...candidates]
    .filter((c) => !userIds.has(c.personId) && c.indexDay === null && hasDemographics(c))
    .sort((a, b) => compare(a.personId, b.personId))
    .map((s) => ({ s, tieKey: random() }));
  // Buckets by sex, year of birth and every IMD quintile the person was ever registered in; the
  // quintile in force at the user's index date is checked on retrieval.
  const buckets = new Map<string, Candidate[]>();
  for (const c of pool) {
    const quintiles = new Set(c.s.registrations.map((r) => quintile(r.imdDecile)));
    quintiles.delete(0);
    for (const q of quintiles) {
      const key = `${c.s.sex}|${c.s.yearOfBirth}|${q}`;
      const list = buckets.get(key);
      if (list) list.push(c);
      else buckets.set(key, [c]);
    }
  }
  const features = featureNames(settings);
  const userVectors = new Map<string, number[]>();
  const eligibleUsers = users.filter(
    (u) => u.indexDay !== null && hasDemographics(u) && imdDecileAt(u, u.indexDay) !== null,
  );
  for (const u of eligibleUsers)
    userVectors.set(u.personId, vectorAt(u, u.indexDay!, settings, span));
  const scale = features.map((_, j) => {
    const sd = standardDeviation(eligibleUsers.map((u) => userVectors.get(u.personId)![j]));
    return sd > 0 ? 1 / sd : 0;
  });
  const shuffled = [...eligibleUsers].sort((a, b) => compare(a.personId, b.personId));
  shuffle(shuffled, random);
  const order = shuffled
    .map((user, position) => ({
      user,
      position,
      load: userVectors.get(user.personId)!.reduce((sum, x, j) => sum + x * scale[j], 0),
    }))
    .sort((a, b) => b.load - a.load || a.position - b.position);

  const used = new Set<string>();
  const sets: TrajectoryMatchedSet[] = [];
  let unmatched = users.length - eligibleUsers.length;
  let partial = 0;
  for (const { user } of order) {
    const indexDay = user.indexDay!;
    const indexYear = yearOf(indexDay);
    const band = Math.floor((indexYear - user.yearOfBirth!) / settings.ageBandYears);
    const q = quintile(imdDecileAt(user, indexDay));
    const target = userVectors.get(user.personId)!;
    const near: Array<{ c: Candidate; d: number }> = [];
    for (let age = band * settings.ageBandYears; age < (band + 1) * settings.ageBandYears; age++) {
      for (const c of buckets.get(`${user.sex}|${indexYear - age}|${q}`) ?? []) {
        if (used.has(c.s.personId)) continue;
        if (c.s.deathDay !== null && c.s.deathDay <= indexDay) continue;
        if (quintile(imdDecileAt(c.s, indexDay)) !== q) continue;
        const v = vectorAt(c.s, indexDay, settings, span);
        let sum = 0;
        for (let j = 0; j < v.length; j++) sum += ((v[j] - target[j]) * scale[j]) ** 2;
        const d = Math.sqrt(sum / Math.max(1, v.length));
        if (d <= settings.caliper) near.push({ c, d });
      }
    }
    near.sort((a, b) => a.d - b.d || a.c.tieKey - b.c.tieKey);
    const chosen = near.slice(0, settings.k);
    if (chosen.length === 0) {
      unmatched++;
      continue;
    }
    if (chosen.length < settings.k) partial++;
    for (const e of chosen) used.add(e.c.s.personId);
    sets.push({
      userId: user.personId,
      indexDay,
      controlIds: chosen.map((e) => e.c.s.personId),
    });
  }
  sets.sort((a, b) => a.indexDay - b.indexDay || compare(a.userId, b.userId));

  const byId = new Map(pool.map((c) => [c.s.personId, c.s] as const));
  const usersById = new Map(users.map((u) => [u.personId, u] as const));
  const medianIndex = median(eligibleUsers.map((u) => u.indexDay!)) ?? 0;
  const before = balanceTable(
    eligibleUsers.map((u) => ({ x: covariatesAt(u, u.indexDay!, settings, span), w: 1 })),
    pool.map((c) => ({ x: covariatesAt(c.s, medianIndex, settings, span), w: 1 })),
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
    balance: { before, after },
  };
}

function featureNames(settings: TrajectoryMatchingSettings): string[] {
  return settings.windows.flatMap(([a, b]) => settings.families.map((f) => `${f}:${a}:${b}`));
}

function vectorAt(
  s: EvaluationSubject,
  indexDay: number,
  settings: TrajectoryMatchingSettings,
  span: DataSpan,
): number[] {
  const out: number[] = [];
  for (const [from, to] of settings.windows) {
    const a = addMonthsToDay(indexDay, from);
    const b = addMonthsToDay(indexDay, to);
    for (const f of settings.families) {
      const e = eventsIn(s, f, a, b, span);
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

/** IMD quintile (1 = most deprived) from the decile; 0 when unknown. */
function quintile(decile: number | null): number {
  return decile === null ? 0 : Math.ceil(decile / 2);
}

function yearOf(day: number): number {
  return new Date(day * 86_400_000).getUTCFullYear();
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10000) / 10000 : x;
}
