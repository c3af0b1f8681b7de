/** Calendar arithmetic on ISO dates (UTC), shared by matching and outcomes. */

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for an ISO date or date-time (UTC). */
export function dayNumber(iso: string): number {
  return Math.floor(Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / DAY_MS);
}

/** The ISO date `months` calendar months after `iso` (negative goes back), clamped to month end. */
export function addMonths(iso: string, months: number): string {
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const target = new Date(Date.UTC(y, m, 1));
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.toISOString().slice(0, 10);
}

/** Day number `months` calendar months after the given ISO date. */
export function dayNumberAfterMonths(iso: string, months: number): number {
  return dayNumber(addMonths(iso, months));
}

/** Lower bound: first index in sorted `values` with value >= x. */
export function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many of sorted `values` lie in [from, to). */
export function countInRange(values: readonly number[], from: number, to: number): number {
  return lowerBound(values, to) - lowerBound(values, from);
}
