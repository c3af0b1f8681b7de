/** Age bands used wherever an age is shown (year of birth only: the date never leaves the edge). */
export const AGE_BANDS = [
  '0-15',
  '16-24',
  '25-34',
  '35-44',
  '45-54',
  '55-64',
  '65-74',
  '75+',
] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

const BAND_LOWER_BOUNDS = [0, 16, 25, 35, 45, 55, 65, 75];

/** The year of a `YYYY-MM-DD` date of birth. */
export function yearOfBirth(dateOfBirth: string): number {
  const year = Number(dateOfBirth.slice(0, 4));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dateOfBirth) || !Number.isInteger(year)) {
    throw new RangeError('date of birth is not YYYY-MM-DD');
  }
  return year;
}

/**
 * Age band at `atDate` from the year of birth alone. The age is `year(atDate) - yearOfBirth`,
 * which can be one year too high before the birthday: the price of keeping only the year.
 * A negative age (born after `atDate`) falls in the lowest band.
 */
export function ageBand(birthYear: number, atDate: Date): AgeBand {
  const age = atDate.getUTCFullYear() - birthYear;
  let band: AgeBand = AGE_BANDS[0];
  for (let i = 0; i < BAND_LOWER_BOUNDS.length; i++) {
    if (age >= BAND_LOWER_BOUNDS[i]) band = AGE_BANDS[i];
  }
  return band;
}
