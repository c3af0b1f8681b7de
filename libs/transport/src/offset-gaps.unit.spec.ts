import { findOffsetGap } from './offset-gaps';

const o = (...xs: number[]) => xs.map((x) => BigInt(x));

describe('findOffsetGap', () => {
  it.each([
    ['a batch that starts where the partition stands', 5n, o(5, 6, 7), null],
    ['the first batch ever (nothing expected yet)', undefined, o(40, 41), null],
    ['a redelivery that starts before the expected offset', 5n, o(3, 4, 5, 6), null],
    ['a redelivery wholly before the expected offset', 9n, o(3, 4), null],
    ['an empty batch', 5n, o(), null],
  ])('no gap: %s', (_what, expected, offsets, gap) => {
    expect(findOffsetGap(expected, offsets)).toEqual(gap);
  });

  it.each([
    ['a batch that starts past the expected offset', 5n, o(8, 9), { e: 5n, f: 8n }],
    ['a jump inside a batch (compaction)', 5n, o(5, 6, 9), { e: 7n, f: 9n }],
    ['a jump inside the first batch ever', undefined, o(0, 1, 3), { e: 2n, f: 3n }],
    ['a jump after a redelivered prefix', 5n, o(3, 4, 5, 7), { e: 6n, f: 7n }],
    ['one message missing', 0n, o(1), { e: 0n, f: 1n }],
  ])('gap: %s', (_what, expected, offsets, gap) => {
    expect(findOffsetGap(expected, offsets)).toEqual({
      expectedOffset: gap.e,
      firstOffset: gap.f,
    });
  });
});
