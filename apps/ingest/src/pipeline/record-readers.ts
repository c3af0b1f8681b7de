import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { RawRecord } from './ingest-run';
import { decodeLine, inputLimits } from './input-limits';

export type InputFormat = 'ndjson' | 'csv';

/** The format of a file: `.csv` is CSV, anything else NDJSON. */
export function formatOf(file: string): InputFormat {
  return file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson';
}

/** Options of the readers (defaults from `inputLimits()`). */
export interface ReaderOptions {
  maxLineBytes?: number;
  /** Total bytes allowed (default: no limit; the HTTP edge sets one). */
  maxBodyBytes?: number;
}

/** A reader error that ends the run: the body is over its limit, or (CSV) not UTF-8. */
export class InputRejectedError extends Error {
  constructor(readonly code: 'body_too_large' | 'invalid_encoding' | 'line_too_long') {
    super(code);
    this.name = 'InputRejectedError';
  }
}

/** The chunks of a stream as Buffers, failing `body_too_large` past `maxBytes`. */
async function* limitedChunks(input: AsyncIterable<Buffer | string>, maxBytes = Infinity) {
  let total = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > maxBytes) throw new InputRejectedError('body_too_large');
    yield buf;
  }
}

/**
 * NDJSON lines of a stream, one at a time; blank lines skipped. Pulls chunks only as fast as the
 * caller takes lines (async iteration of the stream), so memory holds one chunk and the lines
 * cut from it, never the whole input: a slow consumer makes the reader wait. Lines are cut on
 * bytes, so the work is linear in the input: a line past `maxLineBytes` is dropped as it
 * arrives (never held whole) and comes out as a `line_too_long` rejection; a line that is not
 * UTF-8 comes out as `invalid_encoding`; a byte-order mark is dropped.
 */
export async function* ndjsonRecords(
  input: AsyncIterable<Buffer | string>,
  options: ReaderOptions = {},
): AsyncGenerator<RawRecord> {
  const maxLine = options.maxLineBytes ?? inputLimits().maxLineBytes;
  let pieces: Buffer[] = [];
  let pending = 0;
  let tooLong = false;
  let line = 0;
  const lineOf = (bytes: Buffer): RawRecord | undefined => {
    line += 1;
    if (tooLong) {
      tooLong = false;
      return { input: '', line, rejected: 'line_too_long' };
    }
    const raw = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.subarray(0, -1) : bytes;
    if (raw.length > maxLine) return { input: '', line, rejected: 'line_too_long' };
    const decoded = decodeLine(raw);
    if (!decoded.ok) return { input: '', line, rejected: 'invalid_encoding' };
    return decoded.text.trim() === '' ? undefined : { input: decoded.text, line };
  };
  const take = (tail: Buffer): Buffer => {
    const bytes = pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
    pieces = [];
    pending = 0;
    return bytes;
  };
  for await (const chunk of limitedChunks(input, options.maxBodyBytes)) {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(10, start);
      if (end === -1) break;
      const record = lineOf(tooLong ? Buffer.alloc(0) : take(chunk.subarray(start, end)));
      if (record) yield record;
      start = end + 1;
    }
    if (start < chunk.length && !tooLong) {
      const tail = chunk.subarray(start);
      pending += tail.length;
      if (pending > maxLine + 1) {
        // Over the limit before its end: stop keeping it; the rest is skipped up to the newline.
        pieces = [];
        pending = 0;
        tooLong = true;
      } else {
        // A copy: the chunk's buffer may be reused by the stream.
        pieces.push(Buffer.from(tail));
      }
    }
  }
  if (tooLong || pieces.length > 0) {
    const record = lineOf(tooLong ? Buffer.alloc(0) : take(Buffer.alloc(0)));
    if (record) yield record;
  }
}

/** The stream's bytes, checked as UTF-8 on the way (fails `invalid_encoding`). */
async function* utf8Checked(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of chunks) {
      decoder.decode(chunk, { stream: true });
      yield chunk;
    }
    decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) throw new InputRejectedError('invalid_encoding');
    throw error;
  }
}

/**
 * CSV rows (header row = field names) as objects, streamed. Empty cells are left out, as a
 * missing optional field; the edge coerces CSV strings (`true`, `1|2|3|4|5|4|3`).
 */
export async function* csvRecords(
  input: AsyncIterable<Buffer | string>,
  options: ReaderOptions = {},
): AsyncGenerator<RawRecord> {
  const maxLine = options.maxLineBytes ?? inputLimits().maxLineBytes;
  const bytes = Readable.from(utf8Checked(limitedChunks(input, options.maxBodyBytes)));
  const parser = bytes.pipe(
    parse({
      max_record_size: maxLine,
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }),
  );
  // The source's errors (body too large, not UTF-8) reach the parser's iteration.
  bytes.on('error', (error) => parser.destroy(error));
  try {
    for await (const row of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const record: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of Object.entries(row.record))
        if (v !== '' && v !== undefined) record[k] = v;
      yield { input: { ...record }, line: row.info.lines };
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'CSV_MAX_RECORD_SIZE') {
      throw new InputRejectedError('line_too_long');
    }
    throw error;
  } finally {
    bytes.destroy();
  }
}

export function recordsOf(
  input: AsyncIterable<Buffer | string>,
  format: InputFormat,
  options: ReaderOptions = {},
): AsyncGenerator<RawRecord> {
  return format === 'csv' ? csvRecords(input, options) : ndjsonRecords(input, options);
}
