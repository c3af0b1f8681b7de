import { applyPublishingGate } from './publishing-gate';
import {
  EMPTY_RELEASE_LEDGER,
  evolveReleaseLedger,
  findDifferencing,
  newPopulations,
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
