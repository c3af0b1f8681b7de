/** UTC date helpers on epoch milliseconds (no clock: every date is derived from parameters). */
export const DAY_MS = 86_400_000;
export const YEAR_MS = 365.25 * DAY_MS;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** Parses `YYYY-MM-DD` as midnight UTC; undefined when malformed or not a real date. */
export function parseDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDate(ms) === value ? ms : undefined;
}

export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  return Date.UTC(
    d.getUTCFullYear(),
    d.getUTCMonth() + months,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
  );
}

export function addYears(ms: number, years: number): number {
  return addMonths(ms, years * 12);
}

// The date part of `isoDateTime` by day number: a person's records share a few thousand days, and
// formatting a Date was the generator's single hottest call. Bounded: one entry per day seen.
const datePrefixByDay = new Map<number, string>();
// 0001-01-01 and 9999-12-31: outside these, toISOString writes a signed six-digit year.
const FIRST_FOUR_DIGIT_DAY = -719_162;
const LAST_FOUR_DIGIT_DAY = 2_932_896;
const twoDigits = (n: number) => (n < 10 ? '0' : '') + n;

/** `YYYY-MM-DDT` of a day number (0 = 1970-01-01), cached. */
function datePrefix(day: number): string {
  let prefix = datePrefixByDay.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    datePrefixByDay.set(day, prefix);
  }
  return prefix;
}

/** `2022-05-03T10:15:00Z`: ISO 8601 with an offset, to the second. */
export function isoDateTime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const day = Math.floor(seconds / 86_400);
  if (!(day >= FIRST_FOUR_DIGIT_DAY && day <= LAST_FOUR_DIGIT_DAY))
    return new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z';
  const prefix = datePrefix(day);
  const inDay = seconds - day * 86_400;
  const minutes = Math.floor(inDay / 60);
  return `${prefix}${twoDigits(Math.floor(minutes / 60))}:${twoDigits(minutes % 60)}:${twoDigits(inDay % 60)}Z`;
}

export function isoDate(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (!(day >= FIRST_FOUR_DIGIT_DAY && day <= LAST_FOUR_DIGIT_DAY))
    return new Date(ms).toISOString().slice(0, 10);
  return datePrefix(day).slice(0, 10);
}

export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
