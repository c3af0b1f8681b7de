import { lowerBound } from '../matching/calendar';

/**
 * A person as the evaluation sees them: pseudonymised demographics, registrations over time
 * and the days of their service use by measure. Users carry their index date; a matched control
 * is read at the index date of the user it is matched to.
 */
export interface EvaluationSubject {
  personId: string;
  yearOfBirth: number | null;
  sex: string | null;
  /** Registrations in force from a day on (day numbers, ascending): the IMD decile of each. */
  registrations: ReadonlyArray<{ fromDay: number; imdDecile: number | null }>;
  deathDay: number | null;
  /** Day number of the first Life Rooms contact (cohort members only). */
  indexDay: number | null;
  /** Event days per measure (ascending day numbers). */
  days: Readonly<Record<string, readonly number[]>>;
  /** Values per event (same order as `days`) for measures that are not counts (cost). */
  values?: Readonly<Record<string, readonly number[]>>;
}

/** A window of whole months relative to the index date: [fromMonth, toMonth). */
export type MonthWindow = readonly [number, number];

const DAY_MS = 86_400_000;

/** Day number `months` calendar months after `day` (clamped to the month's end). */
export function addMonthsToDay(day: number, months: number): number {
  const d = new Date(day * DAY_MS);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const last = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), last));
  return Math.floor(target.getTime() / DAY_MS);
}

/** The IMD decile of the registration in force on `day` (the first one if none had started). */
export function imdDecileAt(s: EvaluationSubject, day: number): number | null {
  if (s.registrations.length === 0) return null;
  let current = s.registrations[0];
  for (const r of s.registrations) if (r.fromDay <= day) current = r;
  return current.imdDecile;
}

/** Days of the data: pre-index windows are censored at `startDay`, follow-up at `endDay`. */
export interface DataSpan {
  startDay: number;
  /** Exclusive. */
  endDay: number;
}

/**
 * Events and person-years of one measure in a window [from, to) of days, censored at the data
 * span and at death. Event values sum (1 each for a count).
 */
export function eventsIn(
  s: EvaluationSubject,
  measure: string,
  from: number,
  to: number,
  span: DataSpan,
): { events: number; years: number } {
  const a = Math.max(from, span.startDay);
  const b = Math.min(to, span.endDay, s.deathDay ?? Number.POSITIVE_INFINITY);
  if (b <= a) return { events: 0, years: 0 };
  const days = s.days[measure] ?? [];
  const lo = lowerBound(days, a);
  const hi = lowerBound(days, b);
  let events = hi - lo;
  const values = s.values?.[measure];
  if (values) {
    events = 0;
    for (let i = lo; i < hi; i++) events += values[i];
  }
  return { events, years: (b - a) / 365.25 };
}
