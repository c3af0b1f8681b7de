import { createRng } from './random';
import { isoDate, isoDateTime } from './dates';

// isoDateTime formats from a cached date part; it must write what the Date formatting wrote.
const reference = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19) + 'Z';

describe('isoDateTime and isoDate', () => {
  it('matches Date formatting over +-12,000 years of instants and at the edges', () => {
    const rng = createRng('dates-test');
    const edges = [
      0,
      -1,
      999,
      1000,
      -86_400_000,
      -86_400_001,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2125, 2, 31, 9, 5, 7),
      Date.parse('0001-01-01T00:00:00Z'),
      Date.parse('0001-01-01T00:00:00Z') - 1,
      Date.parse('9999-12-31T23:59:59Z'),
      Date.parse('9999-12-31T23:59:59Z') + 1000,
      8.64e15,
      -8.64e15,
    ];
    const spread = Array.from({ length: 20_000 }, () => (rng() - 0.5) * 2 * 4e14);
    for (const ms of [...edges, ...spread]) {
      expect(isoDateTime(ms)).toBe(reference(ms));
      expect(isoDate(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
    }
  });

  it('writes the generator window to the second, in UTC', () => {
    expect(isoDateTime(Date.UTC(2022, 4, 3, 10, 15, 0, 750))).toBe('2022-05-03T10:15:00Z');
    expect(isoDateTime(Date.UTC(1950, 0, 1, 0, 0, 1))).toBe('1950-01-01T00:00:01Z');
  });

  it('throws as Date does on an instant that is not a time', () => {
    expect(() => isoDateTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoDateTime(8.64e15 + 1000)).toThrow(RangeError);
    expect(() => isoDate(Number.NaN)).toThrow(RangeError);
  });
});
