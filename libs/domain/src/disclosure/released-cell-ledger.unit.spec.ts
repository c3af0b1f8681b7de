import { applyPublishingGate } from './publishing-gate';
import {
  EMPTY_RELEASE_LEDGER,
  evolveReleaseLedger,
  findDifferencing,
  newPopulations,
  sortedMembers,
  symmetricDifferenceSize,
  type ReleasedPopulation,
  type ReleaseLedgerState,
} from './released-cell-ledger';

const people = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `p${String(from + i).padStart(5, '0')}`);

const released = (...populations: ReleasedPopulation[]): ReleaseLedgerState =>
  evolveReleaseLedger(EMPTY_RELEASE_LEDGER, {
    type: 'PopulationsReleased',
    schemaVersion: 1,
    data: {
      dsa: 'DSA-1',
      output: 'GET /v1/matching/balance',
      via: 'query',
      policyVersion: 'publishing-policy/1',
      populations,
      releasedAt: '2026-01-01T00:00:00.000Z',
    },
  });

describe('released-cell ledger', () => {
  describe('given nothing released', () => {
    it('finds no differencing for one population', () => {
      expect(
        findDifferencing(
          { a: { family: 'cohort', members: people(0, 100) } },
          EMPTY_RELEASE_LEDGER,
          7,
        ),
      ).toEqual([]);
    });

    it('withholds the later of two populations of one result a few people apart', () => {
      expect(
        findDifferencing(
          {
            all: { family: 'cohort-users', members: people(0, 101) },
            matched: { family: 'matched-users', members: people(0, 100) },
          },
          EMPTY_RELEASE_LEDGER,
          7,
        ),
      ).toEqual([{ population: 'matched', against: 'cohort-users', difference: 1 }]);
    });
  });

  describe('given a released population', () => {
    const ledger = released({ family: 'matched-users', members: people(0, 100) });

    it.each([
      ['one person added (a second matching run)', people(0, 101), 1],
      ['seven people removed', people(7, 100), 7],
      ['three swapped for three (same size)', [...people(3, 100), ...people(500, 503)], 6],
    ])('withholds %s', (_name, members, difference) => {
      expect(findDifferencing({ run2: { family: 'matched-users', members } }, ledger, 7)).toEqual([
        { population: 'run2', against: 'matched-users', difference },
      ]);
    });

    it.each([
      ['the same population again', people(0, 100)],
      ['eight people more', people(0, 108)],
      ['a disjoint population', people(1000, 1100)],
    ])('releases %s', (_name, members) => {
      expect(findDifferencing({ run2: { family: 'matched-users', members } }, ledger, 7)).toEqual(
        [],
      );
    });

    it('finds differencing the same for members given out of order (they are sorted first)', () => {
      const shuffled = [...people(0, 103)].reverse();
      expect(
        findDifferencing({ run2: { family: 'matched-users', members: shuffled } }, ledger, 7),
      ).toEqual([{ population: 'run2', against: 'matched-users', difference: 3 }]);
    });

    it('names as new only what the ledger does not hold, each once, whatever was asked before', () => {
      const same = { family: 'matched-users', members: people(0, 100) };
      const other = { family: 'site:A', members: people(0, 100) };
      const grown = { family: 'matched-users', members: people(0, 101) };
      // The same population object asked twice gives the same answer (its key is remembered).
      expect(newPopulations(ledger, [same, other, grown, other])).toEqual([other, grown]);
      expect(newPopulations(ledger, [same, other, grown, other])).toEqual([other, grown]);
      expect(newPopulations(released(same, other, grown), [same, other, grown])).toEqual([]);
      expect(ledger.known.size).toBe(1);
    });

    it('keeps one copy of a population released twice', () => {
      const twice = evolveReleaseLedger(ledger, {
        type: 'PopulationsReleased',
        schemaVersion: 1,
        data: {
          dsa: 'DSA-1',
          output: 'release:1',
          via: 'release-file',
          policyVersion: 'publishing-policy/1',
          populations: [{ family: 'matched-users', members: [...people(0, 100)].reverse() }],
          releasedAt: '2026-01-02T00:00:00.000Z',
        },
      });
      expect(twice.populations).toHaveLength(1);
      expect(newPopulations(twice, [{ family: 'matched-users', members: people(0, 100) }])).toEqual(
        [],
      );
    });
  });

  it('does not flag two small disjoint populations (two small sites cannot be differenced)', () => {
    const ledger = released({ family: 'site:bootle', members: people(0, 3) });
    expect(
      findDifferencing({ s: { family: 'site:kirkby', members: people(100, 104) } }, ledger, 7),
    ).toEqual([]);
    expect(
      findDifferencing({ s: { family: 'site:bootle', members: people(0, 4) } }, ledger, 7),
    ).toHaveLength(1);
  });

  it('the gate withholds every cell of a population that differs by a few people', () => {
    const ledger = released({ family: 'matched-users', members: people(0, 100) });
    const result = applyPublishingGate(
      {
        cells: {
          n: { kind: 'count', value: 101, population: 'matched' },
          age: {
            kind: 'mean',
            value: 47.1,
            groupSize: 101,
            valueRange: 100,
            population: 'matched',
          },
          other: { kind: 'count', value: 500 },
        },
        populations: { matched: { family: 'matched-users', members: people(0, 101) } },
      },
      undefined,
      ledger,
    );
    expect(result.suppressed).toEqual([
      { cell: 'n', kind: 'count', rule: 'differencing' },
      { cell: 'age', kind: 'mean', rule: 'differencing' },
    ]);
    expect(result.cells.other).toMatchObject({ published: true, value: 500 });
    expect(result.released).toEqual([]);
  });

  it('a count withheld by differencing gets secondary suppression in its line (else total minus the rest gives it back)', () => {
    const ledger = released({ family: 'area:A', members: people(0, 40) });
    const result = applyPublishingGate(
      {
        cells: {
          a: { kind: 'count', value: 42, population: 'a' },
          b: { kind: 'count', value: 30, population: 'b' },
          c: { kind: 'count', value: 90, population: 'c' },
          total: { kind: 'count', value: 162 },
        },
        lines: [['a', 'b', 'c']],
        populations: {
          a: { family: 'area:A', members: people(0, 42) },
          b: { family: 'area:B', members: people(100, 130) },
          c: { family: 'area:C', members: people(200, 290) },
        },
      },
      undefined,
      ledger,
    );
    expect(result.suppressed).toEqual([
      { cell: 'a', kind: 'count', rule: 'differencing' },
      { cell: 'b', kind: 'count', rule: 'secondary' },
    ]);
    expect(result.cells.total).toMatchObject({ published: true, value: 160 });
  });

  it('the same people under two names (an area at two runs, unchanged) are withheld together', () => {
    const area = (run: number, from: number, to: number) =>
      [`${run}/x`, { family: 'area:X', members: people(from, to) }] as const;
    const result = applyPublishingGate({
      cells: {
        '0/x': { kind: 'count', value: 20, population: '0/x' },
        '0/y': { kind: 'count', value: 5 },
        '0/z': { kind: 'count', value: 60 },
        '1/x': { kind: 'count', value: 20, population: '1/x' },
        '1/y': { kind: 'count', value: 0 },
        '1/z': { kind: 'count', value: 70 },
      },
      lines: [
        ['0/x', '0/y', '0/z'],
        ['1/x', '1/y', '1/z'],
      ],
      populations: Object.fromEntries([area(0, 0, 20), area(1, 0, 20)]),
    });
    // Run 0 hides x beside the small y; run 1 would show x (20): the same 20 people, so no.
    expect(result.cells['0/x']).toMatchObject({ published: false, rule: 'secondary' });
    expect(result.cells['1/x']).toMatchObject({ published: false, rule: 'secondary' });
    // ...and run 1's line then keeps no lone withheld cell.
    expect(result.cells['1/z']).toMatchObject({ published: false, rule: 'secondary' });
  });

  it('the gate reports the populations it released', () => {
    const result = applyPublishingGate({
      cells: { n: { kind: 'count', value: 100, population: 'cohort' } },
      populations: { cohort: { family: 'cohort', members: people(0, 100) } },
    });
    expect(result.released).toEqual([{ family: 'cohort', members: people(0, 100) }]);
  });

  it('the gate rejects a cell naming an unknown population', () => {
    expect(() =>
      applyPublishingGate({ cells: { n: { kind: 'count', value: 1, population: 'x' } } }),
    ).toThrow(RangeError);
  });

  it.each([
    [[], [], 0],
    [['a', 'b'], ['a', 'b'], 0],
    [['a', 'b'], ['b', 'c'], 2],
    [['a'], [], 1],
  ])('symmetricDifferenceSize(%p, %p) = %p', (a, b, n) => {
    expect(symmetricDifferenceSize(a, b)).toBe(n);
  });
});

describe('sortedMembers', () => {
  it('gives sorted members back as they are, and sorts a copy of unsorted ones', () => {
    const sorted = ['a', 'b', 'b', 'c'];
    expect(sortedMembers(sorted)).toBe(sorted);
    const unsorted = ['c', 'a', 'b'];
    expect(sortedMembers(unsorted)).toEqual(['a', 'b', 'c']);
    expect(unsorted).toEqual(['c', 'a', 'b']);
    expect(sortedMembers([])).toEqual([]);
  });
});
