import { stringify } from 'csv-stringify/sync';
import { SUPPRESSED_CSV_MARK } from '@linkage/governance';

export { SUPPRESSED_CSV_MARK };

/** True when the client asked for CSV (`Accept: text/csv`). */
export function wantsCsv(accept: string | undefined): boolean {
  return typeof accept === 'string' && /\btext\/csv\b/i.test(accept);
}

/** A column name in snake_case, whatever case the row's key was written in. */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();
}

/**
 * Rows as CSV with a header line: columns are the union of keys in first-seen order, in
 * snake_case; withheld cells (null) read `suppressed`, cells that do not apply stay empty.
 */
export function toCsv(rows: ReadonlyArray<Record<string, string | number | null>>): string {
  const columns: string[] = [];
  for (const row of rows)
    for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const cell = (value: string | number | null | undefined) =>
    value === null ? SUPPRESSED_CSV_MARK : (value ?? '');
  return stringify([columns.map(snakeCase), ...rows.map((r) => columns.map((c) => cell(r[c])))]);
}
