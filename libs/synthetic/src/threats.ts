import { DAY_MS } from './dates';
import type { Person } from './population';
import type { Channel } from './rates';
import { Rng, createRng, normal } from './random';

/**
 * The two threats to a naive matched design that real evaluations fear most, as generator knobs.
 *
 * - **Pre-index dip** (Ashenfelter dip): a share of users arrive at the Life Rooms within weeks of
 *   a crisis episode. During the episode (from `dipWeeks` before the index date up to it) their
 *   crisis and A&E rates are multiplied by `dipFactors`; afterwards they return to their own
 *   baseline, with or without any planted effect. A design that uses those weeks as the baseline
 *   sees a fall that the Life Rooms did not cause.
 * - **Time-varying need** (drift): each person's need follows a mean-one lognormal random walk
 *   month by month (`driftSd` = standard deviation of the monthly log step), so a count in one
 *   window is a noisy proxy of need in another. The walk is a martingale (expected future need =
 *   current need), so it adds noise, not a trend.
 *
 * Both are off unless asked for (`linkage generate --dip-share --drift-sd`); the demo turns them on.
 */
export interface ThreatOptions {
  /** Share of users whose index date follows a crisis episode (0..1). */
  dipShare: number;
  /** The episode starts this many weeks before the index date (uniform between the two). */
  dipWeeks: readonly [number, number];
  /** Rate multipliers during the episode. */
  dipFactors: Readonly<Partial<Record<Channel, number>>>;
  /** Standard deviation of the monthly step of log need (0 = need never changes). */
  driftSd: number;
}

export const NO_THREATS: ThreatOptions = Object.freeze({
  dipShare: 0,
  dipWeeks: Object.freeze([4, 12]) as readonly [number, number],
  dipFactors: Object.freeze({ mh_crisis: 6, emergency_mental_health: 6, ae: 3 }),
  driftSd: 0,
});

/** What the demo turns on: a quarter of users arrive after a crisis; need drifts ~0.05/month. */
export const DEMO_THREATS: Readonly<Pick<ThreatOptions, 'dipShare' | 'driftSd'>> = Object.freeze({
  dipShare: 0.25,
  driftSd: 0.05,
});

/** A user's crisis episode before the index date, if drawn: [from, to) in epoch ms. */
export function crisisEpisode(
  person: Person,
  seed: string,
  threats: ThreatOptions,
): { from: number; to: number } | undefined {
  if (person.indexMs === undefined || !(threats.dipShare > 0)) return undefined;
  const rng = createRng(seed, 'dip', person.index);
  if (rng() >= threats.dipShare) return undefined;
  const [low, high] = threats.dipWeeks;
  const weeks = low + rng() * (high - low);
  return { from: person.indexMs - Math.round(weeks * 7) * DAY_MS, to: person.indexMs };
}

/**
 * Monthly need multipliers (mean one, a martingale): `months` values, the first 1. Returns
 * undefined when drift is off, so a population without drift is drawn exactly as before.
 */
export function needDrift(
  person: Person,
  seed: string,
  months: number,
  threats: ThreatOptions,
): Float64Array | undefined {
  const sd = threats.driftSd;
  if (!(sd > 0)) return undefined;
  const rng: Rng = createRng(seed, 'drift', person.index);
  const out = new Float64Array(months);
  let log = 0;
  for (let m = 0; m < months; m++) {
    out[m] = Math.exp(log);
    log += sd * normal(rng) - (sd * sd) / 2;
  }
  return out;
}
