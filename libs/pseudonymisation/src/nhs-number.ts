/**
 * NHS number normalisation and validation (10 digits, modulus-11 check digit).
 * Numbers starting 999 are reserved for testing; they are valid numbers and pass here.
 */

/** Strips spaces and hyphens (`999 476 5914`, `999-476-5914` -> `9994765914`). */
export function normaliseNhsNumber(input: string): string {
  return input.replace(/[\s-]/g, '');
}

/** The modulus-11 check digit for the first nine digits, or `undefined` when it would be 10. */
export function nhsCheckDigit(firstNine: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (firstNine.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/**
 * True for a well-formed NHS number: after removing spaces and hyphens, exactly 10 digits whose
 * last digit is the modulus-11 check digit of the first nine (a check value of 10 is invalid).
 */
export function isValidNhsNumber(input: string): boolean {
  const digits = normaliseNhsNumber(input);
  if (!/^\d{10}$/.test(digits)) return false;
  return nhsCheckDigit(digits) === digits.charCodeAt(9) - 48;
}
