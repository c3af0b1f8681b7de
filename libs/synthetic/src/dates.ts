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

/** `2022-05-03T10:15:00Z`: ISO 8601 with an offset, to the second. */
export function isoDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19) + 'Z';
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
