/** A source of uniform numbers in [0, 1); the caller creates it from a seed. */
export type Random = () => number;

// Cached: a global lookup per call is slow inside sandboxes such as jest's vm context.
const imul = Math.imul;

/** mulberry32: a tiny, fast, deterministic PRNG. Same seed, same sequence, everywhere. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
