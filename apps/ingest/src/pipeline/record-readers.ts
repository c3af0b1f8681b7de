import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { RawRecord } from './ingest-run';

export type InputFormat = 'ndjson' | 'csv';

/** The format of a file: `.csv` is CSV, anything else NDJSON. */
export function formatOf(file: string): InputFormat {
  return file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson';
}

/**
 * NDJSON lines of a stream, one at a time; blank lines skipped. Pulls chunks only as fast as the
 * caller takes lines (async iteration of the stream), so memory holds one chunk and the lines
 * cut from it, never the whole input: a slow consumer makes the reader wait.
 */
export async function* ndjsonRecords(input: Readable): AsyncGenerator<RawRecord> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  function* cut(text: string, final: boolean): Generator<RawRecord> {
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end === -1) break;
      line += 1;
      const raw =
        text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (raw.trim() !== '') yield { input: raw, line };
      start = end + 1;
    }
    rest = text.slice(start);
    if (final && rest !== '') {
      line += 1;
      const raw = rest.endsWith('\r') ? rest.slice(0, -1) : rest;
      rest = '';
      if (raw.trim() !== '') yield { input: raw, line };
    }
  }
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    yield* cut(rest + text, false);
  }
  yield* cut(rest + decoder.end(), true);
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
