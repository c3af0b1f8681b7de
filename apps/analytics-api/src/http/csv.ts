import { stringify } from 'csv-stringify/sync';

/** True when the client asked for CSV (`Accept: text/csv`). */
export function wantsCsv(accept: string | undefined): boolean {
  return typeof accept === 'string' && /\btext\/csv\b/i.test(accept);
}

/** Rows as CSV with a header line (columns: union of keys, first-seen order). */
export function toCsv(rows: ReadonlyArray<Record<string, string | number | null>>): string {
  const columns: string[] = [];
  for (const row of rows)
    for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  return stringify(
    rows.map((r) => columns.map((c) => r[c] ?? '')),
    { header: true, columns },
  );
}
