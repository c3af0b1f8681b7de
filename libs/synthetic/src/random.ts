import seedrandom from 'seedrandom';

/** A uniform [0, 1) source. Every draw in the generator comes from a seeded one of these. */
export type Rng = () => number;

/**
 * A seeded generator for one named stream (e.g. `seed:sys:42:gp`). Independent streams per
 * person and channel keep one measure's draws from shifting another's when a parameter changes.
 */
export function createRng(seed: string, ...stream: (string | number)[]): Rng {
  return seedrandom.alea([seed, ...stream].join(':'));
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
