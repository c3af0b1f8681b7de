import fc from 'fast-check';
import {
  NhsNumberSequence,
  corruptCheckDigit,
  isValidNhsNumber,
  nhsCheckDigit,
  spacedNhsNumber,
} from './nhs-number';

describe('NHS numbers', () => {
  it('computes the modulus-11 check digit of a published example', () => {
    expect(nhsCheckDigit('999476591')).toBe(4);
    expect(isValidNhsNumber('999 476 5914')).toBe(true);
    expect(isValidNhsNumber('9994765913')).toBe(false);
  });

  it('hands out distinct, valid numbers in the 999 test range only', () => {
    const sequence = new NhsNumberSequence(123_456);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const n = sequence.take();
      expect(n).toMatch(/^999\d{7}$/);
      expect(isValidNhsNumber(n)).toBe(true);
      seen.add(n);
    }
    expect(seen.size).toBe(20_000);
  });

  it('skips stems whose check digit would be 10', () => {
    // 999000001: 9*10+9*9+9*8+1*2 = 245, 245 % 11 = 3, check 8; find one that gives 10.
    const stem = Array.from({ length: 1000 }, (_, i) => String(999_000_000 + i)).find(
      (s) => nhsCheckDigit(s) === undefined,
    );
    expect(stem).toBeDefined();
  });

  it('a corrupted number keeps the 999 prefix and always fails the check', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        (offset, shift) => {
          const valid = new NhsNumberSequence(offset).take();
          const wrong = corruptCheckDigit(spacedNhsNumber(valid), shift);
          return wrong.startsWith('999') && wrong.length === 10 && !isValidNhsNumber(wrong);
        },
      ),
    );
  });
});
