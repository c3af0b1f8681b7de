import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '@linkage/common';
import type { InputFormat } from './record-readers';

/** A file to ingest, checked: it exists, its format is known, and it looks like that format. */
export interface InputFile {
  file: string;
  format: InputFormat;
  size: number;
}

const FORMAT_BY_EXTENSION: Record<string, InputFormat> = {
  '.csv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'ndjson',
};

/** Every record has these; a CSV header without them is not a header of source records. */
const REQUIRED_CSV_COLUMNS = ['record_id', 'record_type'];

/** How much of a file is read to check its first line. */
const SNIFF_BYTES = 64 * 1024;

/**
 * Checks the files of an ingest run before any record is read, so a run either starts on files
 * it can read or fails at once with an `InputError` naming the file and the problem (a missing
 * file, an extension that names no format, NDJSON in a `.csv`, a CSV header without
 * `record_id`/`record_type`). Messages never quote the file's content: its first line could be
 * a record.
 */
export function checkInputFiles(files: string[], format?: InputFormat): InputFile[] {
  return files.map((file) => {
    const size = sizeOf(file);
    const resolved = format ?? formatByExtension(file);
    checkFirstLine(file, resolved);
    return { file, format: resolved, size };
  });
}

function sizeOf(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such file`, 'file_not_found');
    if (code === 'EACCES') throw new InputError(`${file}: permission denied`, 'file_unreadable');
    throw new InputError(`${file}: cannot be read (${code ?? 'error'})`, 'file_unreadable');
  }
  if (!stat.isFile()) throw new InputError(`${file}: not a file`, 'not_a_file');
  return stat.size;
}

function formatByExtension(file: string): InputFormat {
  const extension = path.extname(file).toLowerCase();
  const format = FORMAT_BY_EXTENSION[extension];
  if (format) return format;
  throw new InputError(
    `${file}: cannot tell the format from the extension '${extension || '(none)'}': ` +
      'name the file .ndjson or .csv, or pass --format ndjson|csv',
    'unknown_file_format',
  );
}

function checkFirstLine(file: string, format: InputFormat): void {
  const first = firstLine(file);
  if (first === undefined) return; // an empty file is an empty run
  const looksLikeJson = first.startsWith('{') || first.startsWith('[');
  if (format === 'csv' && looksLikeJson) {
    throw new InputError(
      `${file}: read as CSV, but its first line is JSON: it looks like NDJSON; ` +
        'rename it .ndjson or pass --format ndjson',
      'csv_file_is_ndjson',
    );
  }
  if (format === 'ndjson' && !looksLikeJson && first.includes(',')) {
    throw new InputError(
      `${file}: read as NDJSON, but its first line is not JSON: it looks like CSV; ` +
        'rename it .csv or pass --format csv',
      'ndjson_file_is_csv',
    );
  }
  if (format === 'csv') {
    const columns = first.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    const missing = REQUIRED_CSV_COLUMNS.filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      throw new InputError(
        `${file}: the CSV header (line 1) has no ${missing.join(' or ')} column: the first ` +
          'line must name the fields, in snake_case as in the source formats',
        'csv_header_missing_columns',
      );
    }
  }
}

/** The first non-blank line (without a byte-order mark), or undefined for a blank file. */
function firstLine(file: string): string | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const n = fs.readSync(fd, buffer, 0, SNIFF_BYTES, 0);
    const text = buffer
      .subarray(0, n)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    return text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A reader's failure part-way through a file, as an `InputError` naming the file, the line and
 * the parser's code. The parser's own message is dropped: it quotes the offending text.
 */
export function unreadableInput(file: string, error: unknown): unknown {
  const e = error as { code?: unknown; lines?: unknown } | null;
  if (typeof e?.code !== 'string' || !e.code.startsWith('CSV_')) return error;
  const line = typeof e.lines === 'number' ? ` line ${e.lines}` : '';
  return new InputError(`${file}${line}: not valid CSV (${e.code})`, 'csv_unreadable');
}
