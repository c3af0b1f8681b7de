/** A uniform [0, 1) source. Every draw in the generator comes from a seeded one of these. */
export type Rng = () => number;

/**
 * A seeded generator for one named stream (e.g. `seed:sys:42:gp`). Independent streams per
 * person and channel keep one measure's draws from shifting another's when a parameter changes.
 */
export function createRng(seed: string, ...stream: (string | number)[]): Rng {
  return alea([seed, ...stream].join(':'));
}

/** Baagoe's Mash hash: each call folds `data` into the running state `n` and returns [0, 1). */
function mashStep(n: number, data: string): number {
  for (let i = 0; i < data.length; i++) {
    n += data.charCodeAt(i);
    let h = 0.02519603282416938 * n;
    n = h >>> 0;
    h -= n;
    h *= n;
    n = h >>> 0;
    h -= n;
    n += h * 0x100000000; // 2^32
  }
  return n;
}
const toUnit = (n: number) => (n >>> 0) * 2.3283064365386963e-10; // 2^-32

// Alea's seeding starts by mashing ' ' three times: the same for every key, so done once here.
const MASH_START = 0xefc8249d;
const afterSpace1 = mashStep(MASH_START, ' ');
const afterSpace2 = mashStep(afterSpace1, ' ');
const afterSpaces = mashStep(afterSpace2, ' ');
const [SPACE_S0, SPACE_S1, SPACE_S2] = [afterSpace1, afterSpace2, afterSpaces].map(toUnit);

/**
 * The same generator as `seedrandom.alea(key)`, draw for draw (Baagoe's Alea, seeded by his Mash
 * hash of the key), without what seedrandom builds around each one: the generator makes hundreds
 * of thousands of streams, one per person and channel, and their seeding was a hot spot.
 */
function alea(key: string): Rng {
  let n = mashStep(afterSpaces, key);
  let s0 = SPACE_S0 - toUnit(n);
  if (s0 < 0) s0 += 1;
  n = mashStep(n, key);
  let s1 = SPACE_S1 - toUnit(n);
  if (s1 < 0) s1 += 1;
  n = mashStep(n, key);
  let s2 = SPACE_S2 - toUnit(n);
  if (s2 < 0) s2 += 1;
  let c = 1;
  return () => {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10; // 2^-32
    s0 = s1;
    s1 = s2;
    return (s2 = t - (c = t | 0));
  };
}

/** Poisson draw: Knuth's method for small means (the usual case here), normal beyond. */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rng();
    while (p > limit) {
      k++;
      p *= rng();
    }
    return k;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
}

/** Standard normal (Box-Muller). */
export function normal(rng: Rng): number {
  const u1 = 1 - rng();
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Lognormal with mean 1 (a frailty): exp(sigma Z - sigma^2 / 2). */
export function lognormalMeanOne(rng: Rng, sigma: number): number {
  return Math.exp(sigma * normal(rng) - (sigma * sigma) / 2);
}

export function intBetween(rng: Rng, min: number, maxInclusive: number): number {
  return min + Math.floor(rng() * (maxInclusive - min + 1));
}

export function pickOne<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

/** A picker over weighted choices (weights need not sum to 1). */
export function weighted<T>(entries: readonly (readonly [T, number])[]): (rng: Rng) => T {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const [, w] of entries) {
    acc += w / total;
    cumulative.push(acc);
  }
  return (rng) => {
    const u = rng();
    for (let i = 0; i < cumulative.length; i++) if (u < cumulative[i]) return entries[i][0];
    return entries[entries.length - 1][0];
  };
}
