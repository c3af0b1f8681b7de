import { ValidationError } from '@linkage/common';

/** A UK postcode in its canonical form with the levels the service keeps. */
export interface NormalisedPostcode {
  /** Canonical full postcode, upper case with one space: `L9 2AF` (never leaves the edge). */
  postcode: string;
  /** Outward code plus the first digit of the inward code: `L9 2`. */
  sector: string;
  /** Outward code: `L9`. */
  district: string;
}

// Outward: area (1-2 letters) + district (digit + optional digit/letter); inward: digit + 2 letters.
// GIR 0AA and overseas territories are not accepted.
const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})$/;

/** Normalises a postcode (case and spacing free), or returns `undefined` when malformed. */
export function tryNormalisePostcode(input: string): NormalisedPostcode | undefined {
  const compact = input.replace(/\s+/g, '').toUpperCase();
  const m = POSTCODE.exec(compact);
  if (!m) return undefined;
  const district = m[1];
  const sector = `${district} ${m[2]}`;
  return { postcode: `${sector}${m[3]}`, sector, district };
}

/**
 * Normalises a postcode (`l92af` -> `{ postcode: 'L9 2AF', sector: 'L9 2', district: 'L9' }`).
 * Throws `ValidationError` (reason `invalid_postcode`, no value in the message) when malformed.
 */
export function normalisePostcode(input: string): NormalisedPostcode {
  const result = tryNormalisePostcode(input);
  if (!result) throw new ValidationError({ field: '/postcode', reason: 'invalid_postcode' });
  return result;
}
