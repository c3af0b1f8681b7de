import { FAMILY_NAMES, GIVEN_NAMES_F, GIVEN_NAMES_M, PRACTICES_BY_LA } from './catalogue';
import { DAY_MS, HOUR_MS, YEAR_MS, startOfDay } from './dates';
import type { PostcodeEntry } from './postcodes';
import { lifeRoomsPropensity } from './rates';
import { Rng, createRng, intBetween, lognormalMeanOne, pickOne, weighted } from './random';

/** Where someone is registered from a given time on. */
export interface Residence {
  fromMs: number;
  home: PostcodeEntry;
  practiceCode: string;
}

/** One synthetic person: identity, hidden need and the facts their activity depends on. */
export interface Person {
  index: number;
  nhsNumber: string;
  sex: 'F' | 'M';
  birthMs: number;
  givenName: string;
  familyName: string;
  /** Hidden need level (mean-one lognormal frailty): raises every rate and Life Rooms use. */
  need: number;
  /** First registration, then at most one move (a later registration). */
  residences: Residence[];
  optOutMs?: number;
  optInMs?: number;
  /** Efraimidis-Spirakis key: the cohort is the persons with the largest keys. */
  selectionKey: number;
  /** Uniform draw that places the index date if this person is in the cohort. */
  indexDraw: number;
  indexMs?: number;
}

const AGE_BANDS = weighted<readonly [number, number]>([
  [[16, 25], 0.14],
  [[25, 35], 0.17],
  [[35, 45], 0.16],
  [[45, 55], 0.16],
  [[55, 65], 0.15],
  [[65, 75], 0.12],
  [[75, 85], 0.07],
  [[85, 96], 0.03],
]);

export const MOVER_SHARE = 0.08;
export const OPT_OUT_SHARE = 0.03;
export const OPT_IN_SHARE = 0.12;
const NEED_SIGMA = 0.75;

export interface PopulationContext {
  seed: string;
  startMs: number;
  endMs: number;
  postcodes: readonly PostcodeEntry[];
}

export function practiceCodeFor(home: PostcodeEntry, rng: Rng): string {
  const la = PRACTICES_BY_LA[home.localAuthority ?? ''] ?? PRACTICES_BY_LA.Liverpool;
  return `${la.prefix}${String(intBetween(rng, 1, la.practices)).padStart(3, '0')}`;
}

/** A person's home at a point in time (the latest registration on or before it). */
export function residenceAt(person: Person, ms: number): Residence {
  let current = person.residences[0];
  for (const r of person.residences) if (r.fromMs <= ms) current = r;
  return current;
}

/** Draws person `index` from its own seeded stream (so persons do not depend on each other). */
export function samplePerson(ctx: PopulationContext, index: number, nhsNumber: string): Person {
  const rng = createRng(ctx.seed, 'person', index);
  const sex = rng() < 0.51 ? 'F' : 'M';
  const [low, high] = AGE_BANDS(rng);
  const age = low + rng() * (high - low);
  const birthMs = startOfDay(ctx.startMs - age * YEAR_MS);
  const givenName = pickOne(rng, sex === 'F' ? GIVEN_NAMES_F : GIVEN_NAMES_M);
  const familyName = pickOne(rng, FAMILY_NAMES);
  const need = lognormalMeanOne(rng, NEED_SIGMA);
  const home = pickOne(rng, ctx.postcodes);
  const registeredSpan = Math.min(15 * YEAR_MS, ctx.startMs - birthMs - DAY_MS);
  const registeredMs = startOfDay(ctx.startMs - DAY_MS - rng() * registeredSpan) + 9 * HOUR_MS;
  const residences: Residence[] = [
    { fromMs: registeredMs, home, practiceCode: practiceCodeFor(home, rng) },
  ];
  const span = ctx.endMs - ctx.startMs;
  if (rng() < MOVER_SHARE) {
    let next = pickOne(rng, ctx.postcodes);
    if (next.postcode === home.postcode) next = pickOne(rng, ctx.postcodes);
    const fromMs = ctx.startMs + Math.floor(rng() * span);
    residences.push({ fromMs, home: next, practiceCode: practiceCodeFor(next, rng) });
  }
  let optOutMs: number | undefined;
  let optInMs: number | undefined;
  if (rng() < OPT_OUT_SHARE) {
    optOutMs = ctx.startMs - 3 * YEAR_MS + Math.floor(rng() * (span + 3 * YEAR_MS));
    if (rng() < OPT_IN_SHARE) optInMs = optOutMs + Math.floor(rng() * (ctx.endMs - optOutMs));
  }
  const propensity = lifeRoomsPropensity({ age, sex, imdDecile: home.modelDecile, need });
  const selectionKey = Math.log(1 - rng()) / propensity;
  const indexDraw = rng();
  return {
    index,
    nhsNumber,
    sex,
    birthMs,
    givenName,
    familyName,
    need,
    residences,
    optOutMs,
    optInMs,
    selectionKey,
    indexDraw,
  };
}

/** Indices of the `cohort` persons with the largest selection keys (weighted, no replacement). */
export function selectCohort(persons: readonly Person[], cohort: number): Set<number> {
  const order = persons
    .map((p) => p.index)
    .sort((a, b) => persons[b].selectionKey - persons[a].selectionKey || a - b);
  return new Set(order.slice(0, cohort));
}
