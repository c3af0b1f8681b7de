import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';

/** `libs/reference/data`, from src/ (tests) and dist/ (the build copies data beside the code). */
export function referenceDataDir(): string {
  return path.join(__dirname, '..', 'data');
}

/** Reads one reference CSV (header row) into records of strings. */
export function readReferenceCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(path.join(referenceDataDir(), file), 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
}
