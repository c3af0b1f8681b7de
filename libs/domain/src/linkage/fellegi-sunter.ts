/**
 * Probabilistic record linkage on keyed Bloom-filter encodings (Fellegi-Sunter). Pure: the
 * encodings arrive as bytes made at the ingest edge; nothing here ever sees an identifier.
 *
 * Each candidate pair is compared field by field (Dice similarity of the field's Bloom filters,
 * sex in the clear), each similarity falls into a comparison level, and the pair's match weight
 * is the sum over fields of log2(m/u) of its level. m and u are estimated by EM on the
 * comparison vectors themselves (no labelled data), as Splink does in the clear.
 */

/** The compared fields, in the order of a comparison vector. */
export const COMPARED_FIELDS = [
  'givenName',
  'familyName',
  'dateOfBirth',
  'postcode',
  'sex',
] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

/** The fields compared as Bloom filters (sex is compared in the clear). */
export const ENCODED_FIELDS = ['givenName', 'familyName', 'dateOfBirth', 'postcode'] as const;
export type EncodedField = (typeof ENCODED_FIELDS)[number];

/** One record's encodings: a Bloom filter per encoded field (absent when the field was). */
export interface LinkageEncoding {
  fields: Partial<Record<EncodedField, Uint8Array>>;
  sex?: string | null;
}

/**
 * Comparison levels: 0 missing on either side (no evidence), then from most to least alike.
 * Dice of bigram filters: a one-letter typo in a short name gives about 0.6-0.75, another name
 * well below 0.5.
 */
export const LEVEL_MISSING = 0;
export const SIMILARITY_LEVELS = [
  { level: 1, name: 'exact', atLeast: 0.99 },
  { level: 2, name: 'close', atLeast: 0.75 },
  { level: 3, name: 'partial', atLeast: 0.5 },
  { level: 4, name: 'different', atLeast: -Infinity },
] as const;
/** Levels per field including "missing" (sex uses 0, 1 agree and 4 disagree). */
export const LEVELS_PER_FIELD = 5;

/** The Dice coefficient of two Bloom filters of equal length: 2|A and B| / (|A| + |B|). */
export function diceSimilarity(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  let both = 0;
  let ones = 0;
  for (let i = 0; i < a.length; i++) {
    both += POPCOUNT[a[i] & b[i]];
    ones += POPCOUNT[a[i]] + POPCOUNT[b[i]];
  }
  return ones === 0 ? 0 : (2 * both) / ones;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, n) => {
  let c = 0;
  for (let v = n; v; v >>= 1) c += v & 1;
  return c;
});

/** A pair's field-level similarities (null: missing on a side) and its comparison vector. */
export interface Comparison {
  similarities: Record<ComparedField, number | null>;
  levels: number[];
}

export function levelOf(similarity: number | null): number {
  if (similarity === null) return LEVEL_MISSING;
  for (const l of SIMILARITY_LEVELS) if (similarity >= l.atLeast) return l.level;
  return 4;
}

/** Compares two encodings field by field. Symmetric: compare(a, b) equals compare(b, a). */
export function compareEncodings(a: LinkageEncoding, b: LinkageEncoding): Comparison {
  const similarities = {} as Record<ComparedField, number | null>;
  for (const f of ENCODED_FIELDS) {
    const x = a.fields[f];
    const y = b.fields[f];
    similarities[f] = x && y ? Math.round(diceSimilarity(x, y) * 1000) / 1000 : null;
  }
  similarities.sex = a.sex && b.sex ? (a.sex === b.sex ? 1 : 0) : null;
  return { similarities, levels: COMPARED_FIELDS.map((f) => levelOf(similarities[f])) };
}

/** m and u per field and level (index = level; index 0, missing, is ignored), and the prior. */
export interface FellegiSunterModel {
  m: number[][];
  u: number[][];
  /** Share of candidate pairs that are matches. */
  lambda: number;
  /** EM iterations run (0 for the priors). */
  iterations: number;
  /** Comparison vectors it was estimated on. */
  pairs: number;
}

/**
 * Starting values (also used until a model is estimated). u is the chance of each level among
 * blocked non-matches: they share a block (often the date of birth), so date of birth agrees
 * for many of them.
 */
export const PRIOR_MODEL: FellegiSunterModel = {
  //        missing exact  close  partial different
  m: [
    [0, 0.88, 0.04, 0.05, 0.03], // given name (typos, nicknames)
    [0, 0.9, 0.04, 0.04, 0.02], // family name
    [0, 0.97, 0.01, 0.01, 0.01], // date of birth
    [0, 0.8, 0.02, 0.03, 0.15], // postcode (people move)
    [0, 0.98, 0, 0, 0.02], // sex
  ],
  u: [
    [0, 0.01, 0.005, 0.03, 0.955],
    [0, 0.005, 0.005, 0.02, 0.97],
    [0, 0.5, 0.05, 0.1, 0.35],
    [0, 0.01, 0.01, 0.05, 0.93],
    [0, 0.5, 0, 0, 0.5],
  ],
  lambda: 0.05,
  iterations: 0,
  pairs: 0,
};

const FLOOR = 1e-6;

/** log2(m/u) of each level of each field; 0 for "missing". */
export function levelWeights(model: FellegiSunterModel): number[][] {
  return model.m.map((row, f) =>
    row.map((m, level) =>
      level === LEVEL_MISSING
        ? 0
        : Math.log2(Math.max(m, FLOOR) / Math.max(model.u[f][level], FLOOR)),
    ),
  );
}

/** The match weight of a comparison vector: the sum of its levels' weights (bits of evidence). */
export function matchWeight(levels: readonly number[], weights: number[][]): number {
  let w = 0;
  for (let f = 0; f < levels.length; f++) w += weights[f][levels[f]];
  return w;
}

/** The probability that a pair with this weight is a match, given the model's prior. */
export function matchProbability(weight: number, lambda: number): number {
  const priorOdds = lambda / (1 - lambda);
  const odds = priorOdds * 2 ** weight;
  return odds / (1 + odds);
}

/**
 * Estimates m, u and lambda by expectation-maximisation over comparison vectors (identical
 * vectors are counted once with their multiplicity, so this is linear in distinct patterns).
 * Missing levels carry no information and are left out of both m and u.
 */
export function estimateModel(
  vectors: readonly (readonly number[])[],
  start: FellegiSunterModel = PRIOR_MODEL,
  options: {
    maxIterations?: number;
    tolerance?: number;
    /**
     * Keep `start.u` as it is and estimate only m and lambda (u from random pairs, as Splink
     * does: blocked pairs are mostly matches, so EM on them alone sees too few non-matches).
     */
    fixedU?: boolean;
  } = {},
): FellegiSunterModel {
  if (vectors.length === 0) return start;
  const patterns = new Map<string, { levels: readonly number[]; n: number }>();
  for (const v of vectors) {
    const key = v.join(',');
    const p = patterns.get(key);
    if (p) p.n++;
    else patterns.set(key, { levels: v, n: 1 });
  }
  const fields = start.m.length;
  let m = start.m.map((r) => [...r]);
  let u = start.u.map((r) => [...r]);
  let lambda = start.lambda;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const mCount = m.map((r) => r.map(() => 0));
    const uCount = u.map((r) => r.map(() => 0));
    let matches = 0;
    let total = 0;
    for (const { levels, n } of patterns.values()) {
      let pm = lambda;
      let pu = 1 - lambda;
      for (let f = 0; f < fields; f++) {
        const l = levels[f];
        if (l === LEVEL_MISSING) continue;
        pm *= Math.max(m[f][l], FLOOR);
        pu *= Math.max(u[f][l], FLOOR);
      }
      const g = pm / (pm + pu);
      matches += g * n;
      total += n;
      for (let f = 0; f < fields; f++) {
        const l = levels[f];
        if (l === LEVEL_MISSING) continue;
        mCount[f][l] += g * n;
        uCount[f][l] += (1 - g) * n;
      }
    }
    const normalise = (rows: number[][]) =>
      rows.map((r) => {
        const sum = r.reduce((a, b) => a + b, 0);
        return sum > 0 ? r.map((x) => x / sum) : r;
      });
    const nextM = normalise(mCount);
    const nextU = normalise(uCount);
    // A field whose levels never occurred keeps its starting values.
    for (let f = 0; f < fields; f++) {
      if (mCount[f].every((x) => x === 0)) nextM[f] = [...m[f]];
      if (uCount[f].every((x) => x === 0) || options.fixedU) nextU[f] = [...u[f]];
    }
    const nextLambda = Math.min(1 - FLOOR, Math.max(FLOOR, matches / total));
    let change = Math.abs(nextLambda - lambda);
    for (let f = 0; f < fields; f++)
      for (let l = 0; l < LEVELS_PER_FIELD; l++)
        change = Math.max(change, Math.abs(nextM[f][l] - m[f][l]), Math.abs(nextU[f][l] - u[f][l]));
    m = nextM;
    u = nextU;
    lambda = nextLambda;
    if (change < tolerance) {
      iterations++;
      break;
    }
  }
  return { m, u, lambda, iterations, pairs: vectors.length };
}

/**
 * u per field and level from comparison vectors of random pairs (a record and a person drawn
 * without regard to blocks: non-matches with overwhelming probability). Missing levels are left
 * out; a field never seen keeps `fallback`'s row; every level gets at least a small floor so no
 * weight is infinite.
 */
export function uFromRandomPairs(
  vectors: readonly (readonly number[])[],
  fallback: FellegiSunterModel = PRIOR_MODEL,
): number[][] {
  const fields = fallback.u.length;
  const counts = fallback.u.map((r) => r.map(() => 0));
  for (const v of vectors)
    for (let f = 0; f < fields; f++) if (v[f] !== LEVEL_MISSING) counts[f][v[f]]++;
  return counts.map((row, f) => {
    const seen = row.reduce((a, b) => a + b, 0);
    if (seen === 0) return [...fallback.u[f]];
    const floored = row.map((c, level) => (level === LEVEL_MISSING ? 0 : Math.max(c / seen, 1e-4)));
    const sum = floored.reduce((a, b) => a + b, 0);
    return floored.map((x) => x / sum);
  });
}
