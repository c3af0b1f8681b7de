import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { RawRecord } from './ingest-run';

export type InputFormat = 'ndjson' | 'csv';

/** The format of a file: `.csv` is CSV, anything else NDJSON. */
export function formatOf(file: string): InputFormat {
  return file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson';
}

/** NDJSON lines of a stream, one at a time (never the whole input in memory); blank lines skipped. */
export async function* ndjsonRecords(input: Readable): AsyncGenerator<RawRecord> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    yield { input: text, line };
  }
}

/**
 * CSV rows (header row = field names) as objects, streamed. Empty cells are left out, as a
 * missing optional field; the edge coerces CSV strings (`true`, `1|2|3|4|5|4|3`).
 */
export async function* csvRecords(input: Readable): AsyncGenerator<RawRecord> {
  const parser = input.pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }),
  );
  for await (const row of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    const record: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(row.record)) if (v !== '' && v !== undefined) record[k] = v;
    yield { input: { ...record }, line: row.info.lines };
  }
}

export function recordsOf(input: Readable, format: InputFormat): AsyncGenerator<RawRecord> {
  return format === 'csv' ? csvRecords(input) : ndjsonRecords(input);
}
