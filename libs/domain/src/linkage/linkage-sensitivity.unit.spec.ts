import type { LifeRoomsFact } from '../projections/life-rooms.projection';
import { attributeAtThreshold, indexDatesWith } from './linkage-sensitivity';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const visit = (date: string): LifeRoomsFact => ({ kind: 'visit', date, site: 'walton' });

describe('attributeAtThreshold', () => {
  const pairs = [
    { eventId: 'w1', personId: A, weight: 12 },
    { eventId: 'w1', personId: B, weight: 5 },
    { eventId: 'w2', personId: B, weight: 7 },
    { eventId: 'w3', personId: A, weight: 8 },
    { eventId: 'w3', personId: B, weight: 8 },
  ];

  it.each([
    [10, { w1: A }],
    // A tie goes to the smaller person id, as in the live linker.
    [7.5, { w1: A, w3: A }],
    [6, { w1: A, w2: B, w3: A }],
    [100, {}],
  ])('at %d links the best candidate at or above it', (threshold, expected) => {
    expect(Object.fromEntries(attributeAtThreshold(pairs, threshold))).toEqual(expected);
  });

  it('keeps clerical decisions at every threshold (accepted and rejected)', () => {
    const clerical = new Map<string, string | null>([
      ['w2', A],
      ['w1', null],
    ]);
    expect(Object.fromEntries(attributeAtThreshold(pairs, 100, clerical))).toEqual({ w2: A });
    expect(Object.fromEntries(attributeAtThreshold(pairs, 4, clerical))).toEqual({
      w2: A,
      w3: A,
    });
  });
});

describe('indexDatesWith', () => {
  const own = new Map([[A, { a1: visit('2023-05-01') }]]);
  const walkIns = new Map([
    ['w1', visit('2023-02-01')],
    ['w2', visit('2023-03-01')],
  ]);

  it('moves an index date earlier and adds a cohort member as walk-ins link', () => {
    expect(Object.fromEntries(indexDatesWith(own, walkIns, new Map()))).toEqual({
      [A]: '2023-05-01',
    });
    const links = new Map([
      ['w1', A],
      ['w2', B],
    ]);
    expect(Object.fromEntries(indexDatesWith(own, walkIns, links))).toEqual({
      [A]: '2023-02-01',
      [B]: '2023-03-01',
    });
  });

  it('attributes a walk-in of a merged person to its survivor', () => {
    const links = new Map([['w2', B]]);
    const ownerOf = (id: string) => (id === B ? A : id);
    expect(Object.fromEntries(indexDatesWith(own, walkIns, links, ownerOf))).toEqual({
      [A]: '2023-03-01',
    });
  });
});
