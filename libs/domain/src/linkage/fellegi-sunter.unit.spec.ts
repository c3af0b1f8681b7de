import {
  PRIOR_MODEL,
  compareEncodings,
  diceSimilarity,
  estimateModel,
  levelOf,
  levelWeights,
  matchProbability,
  matchWeight,
  uFromRandomPairs,
  type LinkageEncoding,
} from './fellegi-sunter';

const bits = (...on: number[]) => {
  const a = new Uint8Array(8);
  for (const i of on) a[i >> 3] |= 1 << (i & 7);
  return a;
};

describe('Dice similarity of Bloom filters', () => {
  it.each([
    ['identical', bits(1, 2, 3), bits(1, 2, 3), 1],
    ['disjoint', bits(1, 2), bits(3, 4), 0],
    ['half shared', bits(1, 2), bits(2, 3), 0.5],
    ['both empty', bits(), bits(), 0],
    ['different lengths', bits(1), new Uint8Array(4), 0],
  ])('%s', (_name, a, b, expected) => {
    expect(diceSimilarity(a, b)).toBeCloseTo(expected, 10);
  });
});

describe('comparison levels', () => {
  it.each([
    [null, 0],
    [1, 1],
    [0.99, 1],
    [0.8, 2],
    [0.6, 3],
    [0.2, 4],
  ])('similarity %s is level %s', (s, level) => expect(levelOf(s)).toBe(level));

  it('compares field by field, symmetric, missing fields give no evidence', () => {
    const a: LinkageEncoding = {
      fields: { givenName: bits(1, 2), familyName: bits(5), dateOfBirth: bits(9) },
      sex: 'F',
    };
    const b: LinkageEncoding = {
      fields: { givenName: bits(1, 2), familyName: bits(6), postcode: bits(3) },
      sex: 'M',
    };
    const ab = compareEncodings(a, b);
    expect(ab).toEqual(compareEncodings(b, a));
    expect(ab.similarities).toEqual({
      givenName: 1,
      familyName: 0,
      dateOfBirth: null,
      postcode: null,
      sex: 0,
    });
    expect(ab.levels).toEqual([1, 4, 0, 0, 4]);
  });
});

describe('Fellegi-Sunter weights', () => {
  const weights = levelWeights(PRIOR_MODEL);

  it('adds evidence: agreement is positive, disagreement negative, missing nothing', () => {
    expect(matchWeight([1, 1, 1, 1, 1], weights)).toBeGreaterThan(20);
    expect(matchWeight([4, 4, 1, 4, 4], weights)).toBeLessThan(-10);
    expect(matchWeight([0, 0, 0, 0, 0], weights)).toBe(0);
    expect(matchWeight([1, 1, 1, 0, 1], weights)).toBeLessThan(
      matchWeight([1, 1, 1, 1, 1], weights),
    );
  });

  it('turns a weight into a probability with the prior', () => {
    expect(matchProbability(0, 0.5)).toBeCloseTo(0.5);
    expect(matchProbability(30, 0.01)).toBeGreaterThan(0.999);
    expect(matchProbability(-30, 0.5)).toBeLessThan(0.001);
  });
});

describe('EM estimation', () => {
  // 300 matches (agree on nearly everything) and 700 non-matches (agree on date of birth only,
  // as blocking on it makes them), with some noise.
  const vectors: number[][] = [];
  for (let i = 0; i < 300; i++) vectors.push([i % 10 === 0 ? 3 : 1, 1, 1, i % 5 === 0 ? 4 : 1, 1]);
  for (let i = 0; i < 700; i++) vectors.push([4, i % 50 === 0 ? 1 : 4, 1, 4, i % 2 ? 1 : 4]);

  it('recovers the share of matches and separates the two groups', () => {
    const model = estimateModel(vectors);
    expect(model.lambda).toBeGreaterThan(0.28);
    expect(model.lambda).toBeLessThan(0.32);
    expect(model.pairs).toBe(1000);
    expect(model.iterations).toBeGreaterThan(0);
    const w = levelWeights(model);
    expect(matchWeight([1, 1, 1, 1, 1], w)).toBeGreaterThan(10);
    expect(matchWeight([4, 4, 1, 4, 4], w)).toBeLessThan(-10);
    // Each row of m and u is a distribution over the levels.
    for (const row of [...model.m, ...model.u])
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('returns the starting model when there is nothing to learn from', () => {
    expect(estimateModel([])).toBe(PRIOR_MODEL);
  });

  it('does not depend on the order of the vectors', () => {
    const a = estimateModel(vectors);
    const b = estimateModel([...vectors].reverse());
    expect(b.lambda).toBeCloseTo(a.lambda, 10);
  });
});

describe('u from random pairs, EM of m only', () => {
  // Random pairs: names, postcode and sex mostly disagree; date of birth agrees 1 in 100.
  const random: number[][] = [];
  for (let i = 0; i < 1000; i++)
    random.push([
      i % 50 === 0 ? 1 : 4,
      4,
      i % 100 === 0 ? 1 : 4,
      i % 200 === 0 ? 0 : 4,
      i % 2 ? 1 : 4,
    ]);

  it('takes u as the level frequencies of random pairs, missing left out, floored', () => {
    const u = uFromRandomPairs(random);
    expect(u[0][1]).toBeCloseTo(0.02, 3);
    expect(u[2][1]).toBeCloseTo(0.01, 3);
    // Postcode: 5 missing comparisons carry no information.
    expect(u[3][4]).toBeGreaterThan(0.99);
    for (const row of u) {
      expect(row[0]).toBe(0);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(Math.min(...row.slice(1))).toBeGreaterThan(0);
    }
    expect(uFromRandomPairs([])).toEqual(PRIOR_MODEL.u);
  });

  it('keeps u fixed and gives date-of-birth agreement its weight when blocked pairs are mostly matches', () => {
    // Blocked pairs: 900 matches and 100 non-matches that share the date of birth (the block).
    const blocked: number[][] = [];
    for (let i = 0; i < 900; i++) blocked.push([1, 1, 1, i % 4 === 0 ? 4 : 1, 1]);
    for (let i = 0; i < 100; i++) blocked.push([4, 4, 1, 4, i % 2 ? 1 : 4]);
    const u = uFromRandomPairs(random);
    const model = estimateModel(blocked, { ...PRIOR_MODEL, u }, { fixedU: true });
    expect(model.u).toEqual(u);
    const w = levelWeights(model);
    expect(w[2][1]).toBeGreaterThan(5);
    expect(model.lambda).toBeGreaterThan(0.85);
    expect(matchWeight([1, 1, 1, 4, 1], w)).toBeGreaterThan(10);
  });
});
