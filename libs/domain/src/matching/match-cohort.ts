import { countInRange, dayNumber, dayNumberAfterMonths } from './calendar';
import { mulberry32 } from './seeded-random';

/** A person as matching sees them: pseudonymised demographics and service-use days only. */
export interface MatchingSubject {
  personId: string;
  yearOfBirth: number | null;
  sex: string | null;
  imdDecile: number | null;
  /** Day numbers (days since 1970-01-01) of service contacts that count as prior use, ascending. */
  serviceDays: readonly number[];
  /** Day number of death, when known. */
  deathDay?: number | null;
}

/** A cohort member: a Life Rooms user with the date of their first contact. */
export interface CohortUser extends MatchingSubject {
  /** ISO date of the first Life Rooms contact. */
  indexDate: string;
}

export interface MatchingSettings {
  /** Controls per user. */
  k: number;
  /** PRNG seed: same data + same settings = same matches. */
  seed: number;
  /** Width of the exact age bands, in years (age at the user's index date). */
  ageBandYears: number;
  /** Lower bounds of the prior service-use bands (contacts in the prior window), ascending from 0. */
  priorUseBands: readonly number[];
  /** Length of the prior service-use window before the index date, in months. */
  priorMonths: number;
  /**
   * Largest difference in prior use between a user and a control: max(absolute, relative x the
   * user's count). When no candidate is that close, the single nearest one is taken.
   */
  priorUseCaliper?: { absolute: number; relative: number };
}

export const DEFAULT_MATCHING_SETTINGS: MatchingSettings = Object.freeze({
  k: 3,
  seed: 20240601,
  ageBandYears: 5,
  priorUseBands: Object.freeze([0, 1, 3, 6, 11, 21, 41]),
  priorMonths: 12,
  priorUseCaliper: Object.freeze({ absolute: 1, relative: 0.15 }),
});

export interface MatchedSet {
  userId: string;
  indexDate: string;
  /** Controls, best first; each is given the user's index date. */
  controlIds: string[];
}

export interface BalanceRow {
  covariate: string;
  meanUsers: number;
  meanControls: number;
  /** Standardised mean difference (users - controls) / pooled SD. */
  smd: number;
}

export interface MatchingResult {
  settings: MatchingSettings;
  sets: MatchedSet[];
  /** Users for whom no control could be found (no demographics, or an empty stratum). */
  unmatchedUsers: number;
  /** Users whose exact stratum was empty, matched in a neighbouring one (see `matchCohort`). */
  relaxedUsers: number;
  balance: { before: BalanceRow[]; after: BalanceRow[] };
}

interface Candidate extends MatchingSubject {
  tieKey: number;
}

/** Covariates compared by the balance table, for a person at a given index day. */
interface Covariates {
  age: number;
  female: number;
  imdDecile: number;
  priorUse: number;
  priorUseAny: number;
}

/**
 * Matches each cohort user to up to `k` non-users, without replacement, exactly on age band
 * (at the user's index date), sex, IMD quintile and prior service-use band (contacts in the
 * `priorMonths` before the user's index date, for the user and each candidate alike). Within a
 * stratum the nearest prior use, IMD decile and year of birth win. A stratum with fewer than `k`
 * candidates gives fewer controls (weighted 1/m); an empty one falls back (counted in
 * `relaxedUsers`) first to the same prior-use band in a neighbouring age band or IMD quintile,
 * then to the nearest prior-use band, so the heaviest users are not silently dropped. Users are processed heaviest prior use first, ties
 * in a seeded order, and candidate ties by a seeded key, so a seed fixes the result.
 *
 * Candidates that are cohort members, lack demographics, or died before the index date are never
 * controls. Balance is reported as standardised mean differences before matching (users against
 * every eligible candidate, measured at the median index date) and after (controls weighted
 * 1/m for a user with m controls).
 */
export function matchCohort(
  users: readonly CohortUser[],
  candidates: readonly MatchingSubject[],
  settings: MatchingSettings = DEFAULT_MATCHING_SETTINGS,
): MatchingResult {
  const random = mulberry32(settings.seed);
  const userIds = new Set(users.map((u) => u.personId));
  const pool: Candidate[] = [...candidates]
    .filter((c) => !userIds.has(c.personId) && hasDemographics(c))
    .sort((a, b) => compare(a.personId, b.personId))
    .map((c) => ({ ...c, tieKey: random() }));

  const buckets = new Map<string, Candidate[]>();
  for (const c of pool) {
    const key = bucketKey(c.sex!, quintile(c.imdDecile!), c.yearOfBirth!);
    const list = buckets.get(key);
    if (list) list.push(c);
    else buckets.set(key, [c]);
  }

  // Hardest first: users with the most prior use have the fewest candidates. Ties in seeded order.
  const shuffled = [...users].sort(
    (a, b) => compare(a.indexDate, b.indexDate) || compare(a.personId, b.personId),
  );
  shuffle(shuffled, random);
  const order = shuffled
    .map((user, position) => ({
      user,
      position,
      prior: priorUseAt(user, user.indexDate, settings),
    }))
    .sort((a, b) => b.prior - a.prior || a.position - b.position);

  const used = new Set<string>();
  const sets: MatchedSet[] = [];
  let unmatchedUsers = 0;
  let relaxedUsers = 0;
  for (const { user, prior: userPrior } of order) {
    if (!hasDemographics(user)) {
      unmatchedUsers++;
      continue;
    }
    const indexDay = dayNumber(user.indexDate);
    const priorFrom = dayNumberAfterMonths(user.indexDate, -settings.priorMonths);
    const userBand = priorBand(userPrior, settings.priorUseBands);
    const indexYear = Number(user.indexDate.slice(0, 4));
    const band = Math.floor((indexYear - user.yearOfBirth!) / settings.ageBandYears);
    const userQuintile = quintile(user.imdDecile!);
    const eligible: Array<{ c: Candidate; prior: number; bandGap: number; tier: number }> = [];
    // Exact strata, plus the neighbouring age bands and IMD quintiles for the fallback tiers.
    for (let b = band - 1; b <= band + 1; b++) {
      for (let q = userQuintile - 1; q <= userQuintile + 1; q++) {
        for (let age = b * settings.ageBandYears; age < (b + 1) * settings.ageBandYears; age++) {
          for (const c of buckets.get(bucketKey(user.sex!, q, indexYear - age)) ?? []) {
            if (used.has(c.personId)) continue;
            if (c.deathDay !== undefined && c.deathDay !== null && c.deathDay <= indexDay) continue;
            const prior = countInRange(c.serviceDays, priorFrom, indexDay);
            const bandGap = Math.abs(priorBand(prior, settings.priorUseBands) - userBand);
            const exact = b === band && q === userQuintile;
            // 0: exact; 1: same prior-use band, neighbouring age band or quintile; 2+: other bands.
            const tier = bandGap === 0 ? (exact ? 0 : 1) : 1 + bandGap;
            eligible.push({ c, prior, bandGap, tier });
          }
        }
      }
    }
    // Only the best non-empty tier: exact if possible (fewer than k then means fewer controls).
    const bestTier = eligible.reduce((m, e) => Math.min(m, e.tier), Number.POSITIVE_INFINITY);
    const pool = eligible.filter((e) => e.tier === bestTier);
    pool.sort(
      (a, b) =>
        Math.abs(a.prior - userPrior) - Math.abs(b.prior - userPrior) ||
        Math.abs(a.c.imdDecile! - user.imdDecile!) - Math.abs(b.c.imdDecile! - user.imdDecile!) ||
        Math.abs(a.c.yearOfBirth! - user.yearOfBirth!) -
          Math.abs(b.c.yearOfBirth! - user.yearOfBirth!) ||
        a.c.tieKey - b.c.tieKey,
    );
    // Caliper on prior use: controls further than it are left out (fewer controls, weighted
    // 1/m) unless none is closer, so heavy users do not pull in a crowd of lighter controls.
    const caliper = Math.max(
      settings.priorUseCaliper?.absolute ?? 1,
      (settings.priorUseCaliper?.relative ?? 0.15) * userPrior,
    );
    const within = pool.filter((e) => Math.abs(e.prior - userPrior) <= caliper);
    const chosen = (within.length > 0 ? within : pool.slice(0, 1)).slice(0, settings.k);
    if (chosen.length === 0) {
      unmatchedUsers++;
      continue;
    }
    if (bestTier > 0) relaxedUsers++;
    for (const e of chosen) used.add(e.c.personId);
    sets.push({
      userId: user.personId,
      indexDate: user.indexDate,
      controlIds: chosen.map((e) => e.c.personId),
    });
  }
  sets.sort((a, b) => compare(a.indexDate, b.indexDate) || compare(a.userId, b.userId));

  const byId = new Map(pool.map((c) => [c.personId, c] as const));
  const usersById = new Map(users.map((u) => [u.personId, u] as const));
  const medianIndex = median(users.map((u) => u.indexDate)) ?? '2000-01-01';
  const before = balanceTable(
    users.filter(hasDemographics).map((u) => ({ x: covariates(u, u.indexDate, settings), w: 1 })),
    pool.map((c) => ({ x: covariates(c, medianIndex, settings), w: 1 })),
  );
  const after = balanceTable(
    sets.map((s) => ({ x: covariates(usersById.get(s.userId)!, s.indexDate, settings), w: 1 })),
    sets.flatMap((s) =>
      s.controlIds.map((id) => ({
        x: covariates(byId.get(id)!, s.indexDate, settings),
        w: 1 / s.controlIds.length,
      })),
    ),
  );
  return { settings, sets, unmatchedUsers, relaxedUsers, balance: { before, after } };
}

/** Which band a prior-use count falls in (index of the last lower bound not above it). */
export function priorBand(count: number, bands: readonly number[]): number {
  let band = 0;
  for (let i = 0; i < bands.length; i++) if (count >= bands[i]) band = i;
  return band;
}

/** IMD quintile (1 = most deprived) from the decile. */
export function quintile(decile: number): number {
  return Math.ceil(decile / 2);
}

/** Standardised mean difference with weights (pooled SD of the two groups). */
export function standardisedMeanDifference(
  a: ReadonlyArray<{ value: number; w: number }>,
  b: ReadonlyArray<{ value: number; w: number }>,
): { meanA: number; meanB: number; smd: number } {
  const ma = weightedMoments(a);
  const mb = weightedMoments(b);
  const pooled = Math.sqrt((ma.variance + mb.variance) / 2);
  const diff = ma.mean - mb.mean;
  const smd = pooled === 0 ? (diff === 0 ? 0 : Math.sign(diff) * Infinity) : diff / pooled;
  return { meanA: ma.mean, meanB: mb.mean, smd };
}

function weightedMoments(values: ReadonlyArray<{ value: number; w: number }>): {
  mean: number;
  variance: number;
} {
  const total = values.reduce((s, v) => s + v.w, 0);
  if (total === 0) return { mean: 0, variance: 0 };
  const mean = values.reduce((s, v) => s + v.w * v.value, 0) / total;
  const variance = values.reduce((s, v) => s + v.w * (v.value - mean) ** 2, 0) / total;
  return { mean, variance };
}

function balanceTable(
  users: ReadonlyArray<{ x: Covariates; w: number }>,
  controls: ReadonlyArray<{ x: Covariates; w: number }>,
): BalanceRow[] {
  const names: Array<keyof Covariates> = ['age', 'female', 'imdDecile', 'priorUse', 'priorUseAny'];
  return names.map((name) => {
    const r = standardisedMeanDifference(
      users.map((u) => ({ value: u.x[name], w: u.w })),
      controls.map((c) => ({ value: c.x[name], w: c.w })),
    );
    return {
      covariate: name,
      meanUsers: round(r.meanA),
      meanControls: round(r.meanB),
      smd: round(r.smd),
    };
  });
}

function priorUseAt(s: MatchingSubject, indexDate: string, settings: MatchingSettings): number {
  return countInRange(
    s.serviceDays,
    dayNumberAfterMonths(indexDate, -settings.priorMonths),
    dayNumber(indexDate),
  );
}

function covariates(s: MatchingSubject, indexDate: string, settings: MatchingSettings): Covariates {
  const prior = priorUseAt(s, indexDate, settings);
  return {
    age: Number(indexDate.slice(0, 4)) - s.yearOfBirth!,
    female: s.sex === 'F' ? 1 : 0,
    imdDecile: s.imdDecile!,
    priorUse: prior,
    priorUseAny: prior > 0 ? 1 : 0,
  };
}

function hasDemographics(s: MatchingSubject): boolean {
  return s.yearOfBirth !== null && s.sex !== null && s.imdDecile !== null;
}

function bucketKey(sex: string, imdQuintile: number, yearOfBirth: number): string {
  return `${sex}|${imdQuintile}|${yearOfBirth}`;
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

function median(values: string[]): string | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort(compare);
  return sorted[Math.floor(sorted.length / 2)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10000) / 10000 : x;
}
