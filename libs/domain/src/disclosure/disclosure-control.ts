/**
 * Statistical disclosure control of counts. Superseded by the publishing gate
 * (`publishing-gate.ts`), which every published number now passes and which knows every kind of
 * statistic; kept for callers not yet moved (same count rules).
 *
 * Policy (common NHS practice, configurable): counts from 1 to `threshold` (7) are suppressed,
 * every other count is rounded to the nearest `rounding` (5). Zero is published as zero: it
 * singles no one out. A published count is therefore 0 or at least 10.
 *
 * Tables get secondary suppression: when a row or column holds exactly one suppressed cell, the
 * next smallest cell in it is suppressed too, repeated until stable, so no suppressed cell can be
 * worked out by subtracting the others from a total. Totals are computed from the raw counts and
 * then controlled like any cell (rounded, or suppressed when 1..threshold), never summed from
 * published cells, so they carry the same rounding noise.
 *
 * Overlapping queries: breakdowns are only ever made along fixed published dimensions (postcode
 * sector, district, LSOA, IMD decile, site, need) with the same policy, and every total is
 * published rounded only. Differencing two overlapping outputs therefore differences rounded
 * numbers (error up to +-2 each side), which cannot pin down a count from 1 to 7.
 *
 * Rates and means are published only when the group they are computed over has more than
 * `threshold` people.
 */
export interface DisclosurePolicy {
  /** Counts from 1 to this are suppressed. */
  readonly threshold: number;
  /** Counts above the threshold are rounded to the nearest multiple of this. */
  readonly rounding: number;
}

export const SUPPRESSION_THRESHOLD = 7;
export const ROUNDING_BASE = 5;
export const DEFAULT_DISCLOSURE_POLICY: DisclosurePolicy = Object.freeze({
  threshold: SUPPRESSION_THRESHOLD,
  rounding: ROUNDING_BASE,
});

/** A published count: a number, or null when suppressed. */
export type ControlledCount = number | null;

/** Controls one count on its own (no secondary suppression). */
export function controlCount(
  count: number,
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): ControlledCount {
  if (!Number.isFinite(count) || count < 0)
    throw new RangeError('count must be a non-negative number');
  if (count === 0) return 0;
  if (count <= policy.threshold) return null;
  return roundTo(count, policy.rounding);
}

/** A rate or mean is published only when its group has more than `threshold` members. */
export function controlRate(
  value: number,
  groupSize: number,
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): number | null {
  if (!Number.isFinite(value) || groupSize <= policy.threshold) return null;
  return value;
}

export interface ControlledTable {
  /** cells[row][column], suppressed cells null. */
  cells: ControlledCount[][];
  rowTotals: ControlledCount[];
  columnTotals: ControlledCount[];
  grandTotal: ControlledCount;
  /** How many body cells were suppressed (primary and secondary). */
  cellsSuppressed: number;
}

/**
 * Controls a table of counts (rows x columns) with primary and secondary suppression.
 * A one-dimensional breakdown is a table with one column (`controlTable(counts.map((c) => [c]))`).
 */
export function controlTable(
  counts: readonly (readonly number[])[],
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): ControlledTable {
  const rows = counts.length;
  const columns = rows === 0 ? 0 : counts[0].length;
  for (const row of counts) {
    if (row.length !== columns) throw new RangeError('every row needs the same number of columns');
  }
  const suppressed = counts.map((row) => row.map((c) => controlCount(c, policy) === null));
  const lines: Array<Array<[number, number]>> = [];
  if (columns > 1) for (let r = 0; r < rows; r++) lines.push(range(columns).map((c) => [r, c]));
  if (rows > 1) for (let c = 0; c < columns; c++) lines.push(range(rows).map((r) => [r, c]));

  // Secondary suppression until no row or column has exactly one suppressed cell.
  for (let changed = true; changed;) {
    changed = false;
    for (const line of lines) {
      const hidden = line.filter(([r, c]) => suppressed[r][c]);
      if (hidden.length !== 1) continue;
      const next = smallestVisible(line, counts, suppressed);
      if (!next) continue;
      suppressed[next[0]][next[1]] = true;
      changed = true;
    }
  }

  const cells = counts.map((row, r) =>
    row.map((count, c) => (suppressed[r][c] ? null : controlCount(count, policy))),
  );
  const rowTotals = counts.map((row) => controlCount(sum(row), policy));
  const columnTotals = range(columns).map((c) =>
    controlCount(sum(counts.map((row) => row[c])), policy),
  );
  const grandTotal = controlCount(sum(counts.map(sum)), policy);
  const cellsSuppressed = suppressed.reduce((n, row) => n + row.filter(Boolean).length, 0);
  return { cells, rowTotals, columnTotals, grandTotal, cellsSuppressed };
}

export interface ControlledBreakdown<K> {
  rows: Array<{ key: K; count: ControlledCount }>;
  total: ControlledCount;
  cellsSuppressed: number;
}

/** A one-dimensional breakdown (counts by postcode sector, site, ...) with its rounded total. */
export function controlBreakdown<K>(
  rows: ReadonlyArray<{ key: K; count: number }>,
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): ControlledBreakdown<K> {
  const table = controlTable(
    rows.map((r) => [r.count]),
    policy,
  );
  // A single column has no row lines; its column is the line that needs secondary suppression.
  return {
    rows: rows.map((r, i) => ({ key: r.key, count: table.cells[i][0] })),
    total: table.columnTotals[0] ?? 0,
    cellsSuppressed: table.cellsSuppressed,
  };
}

function smallestVisible(
  line: Array<[number, number]>,
  counts: readonly (readonly number[])[],
  suppressed: boolean[][],
): [number, number] | undefined {
  // Prefer a non-zero cell: hiding a zero next to a small count protects less.
  const visible = line.filter(([r, c]) => !suppressed[r][c]);
  const ordered = [...visible].sort(
    ([r1, c1], [r2, c2]) =>
      Number(counts[r1][c1] === 0) - Number(counts[r2][c2] === 0) ||
      counts[r1][c1] - counts[r2][c2],
  );
  return ordered[0];
}

function roundTo(value: number, base: number): number {
  return Math.round(value / base) * base;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
