import { ValidationError } from '@linkage/common';

/** One measured figure of a scenario (a scenario may report several variants, e.g. backends). */
export interface BenchRow {
  scenario: string;
  /** What was measured within the scenario (`postgresql`, `pglite`, `cipha lines`, ...). */
  variant: string;
  /** Work done, in `unit` (events, records, ...). */
  count: number;
  unit: string;
  seconds: number;
  /** `count / seconds`. */
  perSecond: number;
  /** Extra figures (RSS, bytes, ...) shown in the notes column and kept in `--json`. */
  extra?: Record<string, number | string | boolean>;
  /** A short remark, e.g. why a variant was skipped. */
  note?: string;
}

/** How a scenario's `--size` is read: a count of things or a number of bytes. */
export type SizeKind = 'count' | 'bytes';

const COUNT_SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6 };
const BYTE_SUFFIX: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * Reads a size: a count (`200000`, `200k`, `1.5M`) or bytes (`512MB`, `1GB`; binary multiples).
 * Bytes are accepted for a count scenario only as a plain number, and vice versa, so that
 * `--size 1GB` cannot be taken as a billion events by mistake.
 */
export function parseSize(text: string, kind: SizeKind, field = '/size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) throw new ValidationError({ field, reason: 'invalid_size' });
  const suffix = m[2].toLowerCase();
  const table = kind === 'bytes' ? { ...BYTE_SUFFIX, '': 1 } : COUNT_SUFFIX;
  const factor = table[suffix];
  if (factor === undefined) throw new ValidationError({ field, reason: 'invalid_size_unit' });
  const value = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError({ field, reason: 'out_of_range' });
  }
  return value;
}

/**
 * Splits `--size` values into per-scenario overrides: `NAME=SIZE` applies to that scenario,
 * a bare `SIZE` to every selected scenario (the last one given wins).
 */
export function sizeOverrides(
  specs: readonly string[],
  known: readonly string[],
): { all?: string; byScenario: Record<string, string> } {
  const byScenario: Record<string, string> = {};
  let all: string | undefined;
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 0) {
      all = spec.trim();
      continue;
    }
    const name = spec.slice(0, eq).trim();
    if (!known.includes(name)) {
      throw new ValidationError({ field: '/size', reason: 'unknown_scenario' });
    }
    byScenario[name] = spec.slice(eq + 1).trim();
  }
  return { all, byScenario };
}

/** The scenarios to run, in registry order; none asked for means all of them. */
export function selectScenarios(asked: readonly string[], known: readonly string[]): string[] {
  const names = asked
    .flatMap((a) => a.split(','))
    .map((a) => a.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!known.includes(name))
      throw new ValidationError({ field: '/scenario', reason: 'unknown_scenario' });
  }
  return names.length === 0 ? [...known] : known.filter((k) => names.includes(k));
}

/** `1234567.8` -> `1,234,568`; small rates keep one decimal. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const digits = Math.abs(n) < 100 && !Number.isInteger(n) ? 1 : 0;
  return n.toLocaleString('en-GB', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Ratios (`xCopy`, `projectXCopy`, ...) keep two decimals: 0.65 must not read as 0.7. */
const isRatio = (key: string) => /^x[A-Z]|X[A-Z][a-z]*$/.test(key);

function describeExtra(row: BenchRow): string {
  const parts = Object.entries(row.extra ?? {}).map(
    ([k, v]) =>
      `${k}=${typeof v === 'number' ? (isRatio(k) ? v.toFixed(2) : formatNumber(v)) : String(v)}`,
  );
  if (row.note) parts.push(row.note);
  return parts.join(', ');
}

/** The figures as a plain-text table (right-aligned numbers), one line per row. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['scenario', 'variant', 'count', 'unit', 'seconds', 'per second', 'notes'];
  const body = rows.map((r) => [
    r.scenario,
    r.variant,
    formatNumber(r.count),
    r.unit,
    r.seconds.toFixed(2),
    formatNumber(r.perSecond),
    describeExtra(r),
  ]);
  const numeric = new Set([2, 4, 5]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === cells.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return (
    [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n'
  );
}

/** A row from a measured count and duration. */
export function rowOf(
  scenario: string,
  variant: string,
  count: number,
  unit: string,
  seconds: number,
  more: Pick<BenchRow, 'extra' | 'note'> = {},
): BenchRow {
  return {
    scenario,
    variant,
    count,
    unit,
    seconds,
    perSecond: seconds > 0 ? count / seconds : 0,
    ...more,
  };
}
