import {
  applyPublishingGate,
  DEFAULT_PUBLISHING_POLICY,
  gateStatistic,
  niceStepAtLeast,
  PUBLISHING_POLICY_VERSION,
  publishableCount,
  publishedInterval,
  publishedValue,
  parsePublishingPolicy,
  publishingPolicy,
  type GatedCell,
  type Statistic,
} from './publishing-gate';

const published = (value: number): Partial<GatedCell> => ({ published: true, value });
const withheld = (rule: string) => ({ published: false, rule }) as Partial<GatedCell>;

describe('publishing gate: one statistic of each kind', () => {
  it.each<[string, Statistic, object]>([
    // count
    ['count 0 is published', { kind: 'count', value: 0 }, published(0)],
    ['count 1 is suppressed', { kind: 'count', value: 1 }, withheld('small_count')],
    ['count 7 is suppressed', { kind: 'count', value: 7 }, withheld('small_count')],
    ['count 8 rounds to 10', { kind: 'count', value: 8 }, published(10)],
    ['count 12 rounds to 10', { kind: 'count', value: 12 }, published(10)],
    ['count 13 rounds to 15', { kind: 'count', value: 13 }, published(15)],
    ['count 1234 rounds to 1235', { kind: 'count', value: 1234 }, published(1235)],
    // total (an amount)
    [
      'total over a big group: 3 significant figures',
      { kind: 'total', value: 123456.78, groupSize: 500 },
      published(123000),
    ],
    [
      'total over 9 people (rounded size 10): published',
      { kind: 'total', value: 999.4, groupSize: 9 },
      published(999),
    ],
    [
      'total over 7 people: group below minimum',
      { kind: 'total', value: 5000, groupSize: 7 },
      withheld('group_below_minimum'),
    ],
    // rate
    [
      'rate from rounded events and rounded person-time',
      {
        kind: 'rate',
        numerator: 34,
        numeratorKind: 'count',
        denominator: 301.37,
        denominatorKind: 'person-time',
        groupSize: 310,
      },
      // 35 / 301 = 0.11628 -> 0.116 (the exact 34 / 301.37 = 0.11282 is not published)
      published(0.116),
    ],
    [
      'rate per 1,000',
      {
        kind: 'rate',
        numerator: 100,
        numeratorKind: 'count',
        denominator: 2000,
        denominatorKind: 'person-time',
        groupSize: 2000,
        per: 1000,
      },
      published(50),
    ],
    [
      'rate with 0 events is 0',
      {
        kind: 'rate',
        numerator: 0,
        numeratorKind: 'count',
        denominator: 50,
        denominatorKind: 'person-time',
        groupSize: 60,
      },
      published(0),
    ],
    [
      'rate with 3 events: small numerator',
      {
        kind: 'rate',
        numerator: 3,
        numeratorKind: 'count',
        denominator: 50,
        denominatorKind: 'person-time',
        groupSize: 60,
      },
      withheld('small_numerator'),
    ],
    [
      'rate over 5 people: group below minimum',
      {
        kind: 'rate',
        numerator: 30,
        numeratorKind: 'count',
        denominator: 5,
        denominatorKind: 'person-time',
        groupSize: 5,
      },
      withheld('group_below_minimum'),
    ],
    [
      'cost rate: amount over person-time, both to 3 significant figures',
      {
        kind: 'rate',
        numerator: 123456,
        numeratorKind: 'amount',
        denominator: 98.76,
        denominatorKind: 'person-time',
        groupSize: 100,
      },
      // 123000 / 98.8 = 1244.94
      published(1240),
    ],
    [
      'rate over a count denominator uses the rounded count',
      {
        kind: 'rate',
        numerator: 44,
        numeratorKind: 'count',
        denominator: 22,
        denominatorKind: 'count',
        groupSize: 22,
      },
      // 45 / 20, not the exact 44 / 22 = 2
      published(2.25),
    ],
    [
      'rate over zero person-time is not computable',
      {
        kind: 'rate',
        numerator: 0,
        numeratorKind: 'count',
        denominator: 0,
        denominatorKind: 'person-time',
        groupSize: 20,
      },
      withheld('not_computable'),
    ],
    // mean
    [
      'mean age over 5,000 people: step 0.1 (5 x 100 / 4998)',
      { kind: 'mean', value: 47.4351, groupSize: 5000, valueRange: 100 },
      published(47.4),
    ],
    [
      'mean age over 100 people: whole multiples of 10 (5 x 100 / 98 = 5.1)',
      { kind: 'mean', value: 47.4351, groupSize: 100, valueRange: 100 },
      published(50),
    ],
    [
      'share female (0/1) over 5,000 people: step 0.001',
      { kind: 'mean', value: 0.51234, groupSize: 5000, valueRange: 1 },
      published(0.512),
    ],
    [
      'mean over 7 people: group below minimum',
      { kind: 'mean', value: 47, groupSize: 7, valueRange: 100 },
      withheld('group_below_minimum'),
    ],
    [
      'mean over nobody is not computable',
      { kind: 'mean', value: Number.NaN, groupSize: 0, valueRange: 100 },
      withheld('group_below_minimum'),
    ],
    [
      'NaN mean over a big group is not computable',
      { kind: 'mean', value: Number.NaN, groupSize: 50, valueRange: 100 },
      withheld('not_computable'),
    ],
    // proportion
    [
      'proportion from rounded counts',
      { kind: 'proportion', numerator: 34, denominator: 101 },
      // 35 / 100
      published(0.35),
    ],
    [
      'proportion with 0 is 0',
      { kind: 'proportion', numerator: 0, denominator: 101 },
      published(0),
    ],
    [
      'proportion with a small numerator',
      { kind: 'proportion', numerator: 6, denominator: 101 },
      withheld('small_numerator'),
    ],
    [
      'proportion of a small group',
      { kind: 'proportion', numerator: 0, denominator: 6 },
      withheld('group_below_minimum'),
    ],
    [
      'proportion never exceeds 1 after rounding',
      { kind: 'proportion', numerator: 13, denominator: 12 },
      published(1),
    ],
    // smd
    [
      'SMD to 2 decimals',
      { kind: 'smd', value: 0.04567, groupSizes: [500, 1500] },
      published(0.05),
    ],
    [
      'SMD with one small group',
      { kind: 'smd', value: 0.04567, groupSizes: [500, 3] },
      withheld('group_below_minimum'),
    ],
    // percentile
    [
      'median age over 1,000 people: step 5 (100 / 20)',
      { kind: 'percentile', value: 43, fraction: 0.5, groupSize: 1000, valueRange: 100 },
      published(45),
    ],
    [
      'the 99th percentile of 100 people is one of the top few',
      { kind: 'percentile', value: 88, fraction: 0.99, groupSize: 100, valueRange: 100 },
      withheld('percentile_tail'),
    ],
    [
      'the minimum is one person',
      { kind: 'percentile', value: 18, fraction: 0, groupSize: 1000, valueRange: 100 },
      withheld('percentile_tail'),
    ],
    [
      'a percentile of a small group',
      { kind: 'percentile', value: 18, fraction: 0.5, groupSize: 6, valueRange: 100 },
      withheld('group_below_minimum'),
    ],
  ])('%s', (_name, statistic, expected) => {
    expect(gateStatistic(statistic)).toMatchObject({ kind: statistic.kind, ...expected });
  });

  it.each<[string, Statistic, number, [number, number]]>([
    [
      'estimate rounded to a twentieth of its interval (width 0.8 -> step 0.05)',
      { kind: 'estimate', value: -0.4123, low: -0.8111, high: -0.0123, groupSizes: [500, 1500] },
      -0.4,
      [-0.8, 0],
    ],
    [
      'narrow interval keeps more digits (width 0.0216 -> step 0.002)',
      { kind: 'estimate', value: 1.23456, low: 1.2234, high: 1.245, groupSizes: [500, 1500] },
      1.234,
      [1.224, 1.246],
    ],
    [
      'zero-width interval: 3 significant figures',
      { kind: 'estimate', value: 1.23456, low: 1.23456, high: 1.23456, groupSizes: [500] },
      1.23,
      [1.23, 1.23],
    ],
  ])('%s', (_name, statistic, value, interval) => {
    expect(gateStatistic(statistic)).toEqual({
      kind: 'estimate',
      published: true,
      value,
      interval,
    });
  });

  it.each<[string, Statistic, string]>([
    [
      'estimate from a small group',
      { kind: 'estimate', value: 1, low: 0, high: 2, groupSizes: [500, 4] },
      'group_below_minimum',
    ],
    [
      'estimate with an infinite bound',
      { kind: 'estimate', value: 1, low: 0, high: Infinity, groupSizes: [500] },
      'not_computable',
    ],
  ])('%s', (_name, statistic, rule) => {
    expect(gateStatistic(statistic)).toEqual({ kind: 'estimate', published: false, rule });
  });

  it.each<[string, Statistic]>([
    ['a negative count', { kind: 'count', value: -1 }],
    ['a fractional count', { kind: 'count', value: 2.5 }],
    ['a fractional group size', { kind: 'mean', value: 1, groupSize: 10.5, valueRange: 1 }],
    ['a mean without a value range', { kind: 'mean', value: 1, groupSize: 100, valueRange: 0 }],
    [
      'a percentile fraction outside [0, 1]',
      { kind: 'percentile', value: 1, fraction: 50, groupSize: 100, valueRange: 1 },
    ],
    ['an SMD without groups', { kind: 'smd', value: 0.1, groupSizes: [] }],
  ])('rejects %s', (_name, statistic) => {
    expect(() => gateStatistic(statistic)).toThrow(RangeError);
  });
});

describe('publishing gate: a request of many cells', () => {
  it('suppresses the next smallest count in a line with one suppressed cell', () => {
    const result = applyPublishingGate({
      cells: {
        'a/people': { kind: 'count', value: 3 },
        'b/people': { kind: 'count', value: 20 },
        'c/people': { kind: 'count', value: 50 },
        total: { kind: 'count', value: 73 },
      },
      lines: [['a/people', 'b/people', 'c/people']],
    });
    expect(result.cells).toEqual({
      'a/people': { kind: 'count', published: false, rule: 'small_count' },
      'b/people': { kind: 'count', published: false, rule: 'secondary' },
      'c/people': { kind: 'count', published: true, value: 50 },
      total: { kind: 'count', published: true, value: 75 },
    });
    expect(result.suppressed).toEqual([
      { cell: 'a/people', kind: 'count', rule: 'small_count' },
      { cell: 'b/people', kind: 'count', rule: 'secondary' },
    ]);
    expect(result.policyVersion).toBe(PUBLISHING_POLICY_VERSION);
  });

  it('prefers a non-zero cell for secondary suppression', () => {
    const result = applyPublishingGate({
      cells: {
        a: { kind: 'count', value: 2 },
        b: { kind: 'count', value: 0 },
        c: { kind: 'count', value: 40 },
      },
      lines: [['a', 'b', 'c']],
    });
    expect(result.suppressed.map((s) => s.cell)).toEqual(['a', 'c']);
  });

  it('repeats secondary suppression across rows and columns until stable', () => {
    // rows: [3, 20] [30, 40]; columns: [3, 30] [20, 40]
    const result = applyPublishingGate({
      cells: {
        r0c0: { kind: 'count', value: 3 },
        r0c1: { kind: 'count', value: 20 },
        r1c0: { kind: 'count', value: 30 },
        r1c1: { kind: 'count', value: 40 },
      },
      lines: [
        ['r0c0', 'r0c1'],
        ['r1c0', 'r1c1'],
        ['r0c0', 'r1c0'],
        ['r0c1', 'r1c1'],
      ],
    });
    expect(result.suppressed.map((s) => s.cell).sort()).toEqual(['r0c0', 'r0c1', 'r1c0', 'r1c1']);
  });

  it('withholds a rate whose event count was suppressed by secondary suppression', () => {
    const result = applyPublishingGate({
      cells: {
        'a/events': { kind: 'count', value: 4 },
        'b/events': { kind: 'count', value: 30 },
        'b/rate': {
          kind: 'rate',
          numerator: 30,
          numeratorKind: 'count',
          denominator: 100,
          denominatorKind: 'person-time',
          groupSize: 120,
          dependsOn: ['b/events'],
        },
        'b/rate-of-rate': {
          kind: 'proportion',
          numerator: 30,
          denominator: 120,
          dependsOn: ['b/rate'],
        },
      },
      lines: [['a/events', 'b/events']],
    });
    expect(publishedValue(result, 'b/rate')).toBeNull();
    expect(result.cells['b/rate']).toEqual({
      kind: 'rate',
      published: false,
      rule: 'depends_on_suppressed',
    });
    expect(result.cells['b/rate-of-rate']).toMatchObject({ rule: 'depends_on_suppressed' });
  });

  it('never lists a value for a suppressed cell', () => {
    const result = applyPublishingGate({
      cells: {
        secret: { kind: 'count', value: 6 },
        mean: { kind: 'mean', value: 61.123, groupSize: 6, valueRange: 100 },
      },
    });
    expect(JSON.stringify(result)).not.toMatch(/61|"value":6\b/);
    expect(result.suppressed).toEqual([
      { cell: 'secret', kind: 'count', rule: 'small_count' },
      { cell: 'mean', kind: 'mean', rule: 'group_below_minimum' },
    ]);
  });

  it('reads published values and intervals for formatters', () => {
    const result = applyPublishingGate({
      cells: {
        did: { kind: 'estimate', value: 0.5, low: 0, high: 1, groupSizes: [100] },
        hidden: { kind: 'estimate', value: 0.5, low: 0, high: 1, groupSizes: [1] },
      },
    });
    expect(publishedValue(result, 'did')).toBe(0.5);
    expect(publishedInterval(result, 'did')).toEqual([0, 1]);
    expect(publishedInterval(result, 'hidden')).toEqual([null, null]);
    expect(() => publishedValue(result, 'missing')).toThrow(RangeError);
  });

  it.each([
    ['a line naming an unknown cell', { cells: {}, lines: [['x']] }],
    [
      'a line naming a mean',
      { cells: { m: { kind: 'mean', value: 1, groupSize: 50, valueRange: 1 } }, lines: [['m']] },
    ],
    [
      'a dependency on an unknown cell',
      { cells: { c: { kind: 'count', value: 1, dependsOn: ['x'] } } },
    ],
  ] as const)('rejects %s', (_name, request) => {
    expect(() => applyPublishingGate(request as never)).toThrow(RangeError);
  });
});

describe('publishing gate: guarantees (properties)', () => {
  it('never publishes a count from 1 to 7', () => {
    for (let n = 0; n < 3000; n++) {
      const v = publishableCount(n);
      expect(v === null || v === 0 || v >= 10).toBe(true);
    }
  });

  it('a rate times any published denominator gives back no exact small count', () => {
    // The Bootle attack: rate x person-time must not recover events the counts round.
    for (let events = 8; events < 60; events++) {
      for (const personYears of [17.3, 88.1, 301.37]) {
        const cell = gateStatistic({
          kind: 'rate',
          numerator: events,
          numeratorKind: 'count',
          denominator: personYears,
          denominatorKind: 'person-time',
          groupSize: 400,
        });
        if (!cell.published) continue;
        const recovered = cell.value * personYears;
        // At most the rounded count (within the rate's own rounding), never the exact one.
        expect(Math.abs(recovered - publishableCount(events)!)).toBeLessThan(
          Math.abs(recovered - events) + 1.5,
        );
      }
    }
  });

  it('two means over groups differing by one person leave that person within a wide range', () => {
    // The balance attack: mean(all) x n - mean(matched) x (n - 1) = the unmatched person's value.
    const ages = Array.from({ length: 400 }, (_, i) => 20 + ((i * 37) % 60));
    for (const unmatched of [18, 61, 95]) {
      const all = [...ages, unmatched];
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const gate = (xs: number[]) =>
        gateStatistic({ kind: 'mean', value: mean(xs), groupSize: xs.length, valueRange: 100 });
      const a = gate(all);
      const b = gate(ages);
      if (!a.published || !b.published) throw new Error('expected published means');
      // The attacker knows the exact sizes (worst case) and still only gets a wide band.
      const estimate = a.value * all.length - b.value * ages.length;
      const worstError = (all.length + ages.length) * (0.5 * niceStepAtLeast(500 / 398));
      expect(worstError).toBeGreaterThanOrEqual(100);
      expect(Math.abs(estimate - unmatched)).toBeLessThanOrEqual(worstError);
    }
  });
});

describe('publishing policy (configuration)', () => {
  it('is versioned; the default has named constants', () => {
    expect(DEFAULT_PUBLISHING_POLICY).toMatchObject({
      version: PUBLISHING_POLICY_VERSION,
      countThreshold: 7,
      countRounding: 5,
      minimumGroupSize: 10,
      smdDecimals: 2,
    });
    expect(Object.isFrozen(DEFAULT_PUBLISHING_POLICY)).toBe(true);
  });

  it('names changed settings in its version and applies them', () => {
    const strict = publishingPolicy({ countThreshold: 10, countRounding: 10 });
    expect(strict.version).toBe(`${PUBLISHING_POLICY_VERSION}+countThreshold=10,countRounding=10`);
    expect(gateStatistic({ kind: 'count', value: 9 }, strict)).toMatchObject({ published: false });
    expect(gateStatistic({ kind: 'count', value: 14 }, strict)).toMatchObject({ value: 10 });
    expect(applyPublishingGate({ cells: {} }, strict).policyVersion).toBe(strict.version);
  });

  it('keeps the default version when nothing changes', () => {
    expect(publishingPolicy({ countThreshold: 7, smdDecimals: undefined }).version).toBe(
      PUBLISHING_POLICY_VERSION,
    );
  });

  it.each([
    ['countRounding', 0],
    ['countThreshold', -1],
    ['smdDecimals', 1.5],
    ['minimumGroupSize', Number.NaN],
  ])('rejects %s = %p', (key, value) => {
    expect(() => publishingPolicy({ [key]: value })).toThrow(new RegExp(key));
  });
});

describe('parsePublishingPolicy (LINKAGE_PUBLISHING_POLICY)', () => {
  it('is the default when unset', () => {
    expect(parsePublishingPolicy(undefined)).toBe(DEFAULT_PUBLISHING_POLICY);
    expect(parsePublishingPolicy(' ')).toBe(DEFAULT_PUBLISHING_POLICY);
  });
  it('applies the settings it names', () => {
    expect(parsePublishingPolicy('{"minimumGroupSize":20}')).toMatchObject({
      minimumGroupSize: 20,
      version: `${PUBLISHING_POLICY_VERSION}+minimumGroupSize=20`,
    });
  });
  it.each(['{', '[]', '{"threshold":10}', '{"countRounding":0}'])('rejects %s', (text) => {
    expect(() => parsePublishingPolicy(text)).toThrow(RangeError);
  });
});

describe('niceStepAtLeast', () => {
  it.each([
    [0.0011, 0.002],
    [0.001, 0.001],
    [0.03, 0.05],
    [1, 1],
    [1.02, 2],
    [5.1, 10],
    [1000, 1000],
    [3000, 5000],
  ])('%p -> %p', (x, step) => {
    expect(niceStepAtLeast(x)).toBe(step);
  });
});
