/**
 * NHS numbers for synthetic people: only the 999 test range (999 000 0000 - 999 999 9999),
 * always with a valid modulus-11 check digit, so no real person's number can appear.
 */

// One definition of the check digit for the service and its test data.
import { isValidNhsNumber, nhsCheckDigit } from '@linkage/pseudonymisation';

export { isValidNhsNumber, nhsCheckDigit };

const RANGE = 1_000_000; // stems 999000000-999999999
const MULTIPLIER = 7_919; // coprime with 10^6, so i -> (i * M + offset) mod 10^6 is a permutation

/**
 * Hands out distinct valid test-range NHS numbers in a seed-dependent order: a permutation of
 * the million 999 stems, skipping stems whose check digit would be 10 (about 1 in 11).
 */
export class NhsNumberSequence {
  private next = 0;
  constructor(private readonly offset: number) {}

  take(): string {
    for (;;) {
      if (this.next >= RANGE) throw new RangeError('test-range NHS numbers exhausted');
      const stem = String(999_000_000 + ((this.next * MULTIPLIER + this.offset) % RANGE));
      this.next++;
      const check = nhsCheckDigit(stem);
      if (check !== undefined) return stem + String(check);
    }
  }
}

/** A number with a wrong check digit (still 999-range): exactly one defect for dirt. */
export function corruptCheckDigit(nhsNumber: string, shift: number): string {
  const digits = nhsNumber.replace(/ /g, '');
  const wrong = (Number(digits[9]) + 1 + (Math.abs(Math.trunc(shift)) % 9)) % 10;
  return digits.slice(0, 9) + String(wrong);
}

/** `9991234567` -> `999 123 4567` (sources send both forms). */
export function spacedNhsNumber(digits: string): string {
  return `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`;
}
