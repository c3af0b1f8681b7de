import * as fs from 'node:fs';
import { addYears, isoDateTime } from './dates';
import { DraftRecord, Source } from './draft-record';
import {
  DirtKey,
  NICKNAMES,
  NO_NHS_NUMBER_CASE_KEYS,
  NoNhsNumberCase,
  REJECTION,
  REJECTION_KINDS,
  RejectionKind,
  UNKNOWN_RECORD_TYPE,
  corruptPostcode,
  typo,
} from './dirt';
import { corruptCheckDigit, spacedNhsNumber } from './nhs-number';
import { Rng } from './random';

export type OutputFormat = 'ndjson' | 'csv';

/** CSV columns: the union of every record type's fields, per source. */
export const CSV_COLUMNS: Readonly<Record<Source, readonly string[]>> = {
  liferooms: [
    'record_id',
    'record_type',
    'occurred_at',
    'nhs_number',
    'given_name',
    'family_name',
    'date_of_birth',
    'sex',
    'postcode',
    'site',
    'purpose',
    'course_id',
    'course_title',
    'delivery',
    'session_id',
    'attended',
    'referral_id',
    'referrer',
    'via',
    'contact_id',
    'mode',
    'prescription_id',
    'need',
    'provider_id',
    'outcome',
    'instrument',
    'items',
    'timing',
  ],
  cipha: [
    'record_id',
    'record_type',
    'occurred_at',
    'nhs_number',
    'date_of_birth',
    'sex',
    'postcode',
    'practice_code',
    'mode',
    'department_type',
    'disposal',
    'method',
    'specialty',
    'discharged_at',
    'attended',
    'team',
    'contact_type',
    'outcome',
    'type',
    'cluster',
    'resolved_at',
  ],
};

/** Lines written, and what ingest should make of them, for one record type. */
export interface RecordTypeCounts {
  /** Lines in the file (valid + rejected + duplicates). */
  written: number;
  /** Distinct records ingest should accept (incl. those without an NHS number). */
  valid: number;
  /** Dirty records ingest should reject (exactly one reason each). */
  rejected: number;
  /** Verbatim resends of valid records (same record_id): no-ops at ingest. */
  duplicates: number;
}

/**
 * What became of a written record at ingest: accepted with its NHS number, rejected (planted
 * dirt), or accepted without an NHS number (linkable on its link key only when `exact`).
 */
export type WriteOutcome = 'valid' | 'rejected' | `no_nhs_number_${NoNhsNumberCase}`;

/** Buffered line output to a file descriptor: written as generated, never held whole. */
export class LineSink {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;
  lines = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  write(line: string): number {
    this.buffer.push(line, '\n');
    this.size += line.length + 1;
    if (this.size > 1 << 20) this.flush();
    return ++this.lines;
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    fs.writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = Array.isArray(value) ? value.join('|') : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface ExtractWriterOptions {
  source: Source;
  format: OutputFormat;
  file: string;
  shares: Readonly<Record<DirtKey, number>>;
  rng: Rng;
  ledger: LineSink;
  /** A real postcode other than the one given (for the changed-postcode linkage case). */
  otherPostcode: (current: string, rng: Rng) => string;
}

/**
 * Writes one source's extract: gives each record its record_id, then plants dirt (at most one
 * kind per record), resends some valid records verbatim, and takes the NHS number off some
 * liferooms records. Every decision is counted and written to the dirt ledger with its line.
 */
export class ExtractWriter {
  readonly byRecordType: Record<string, RecordTypeCounts> = {};
  readonly planted = Object.fromEntries(REJECTION_KINDS.map((k) => [k, 0])) as Record<
    RejectionKind,
    number
  >;
  readonly noNhsNumber: Record<NoNhsNumberCase, number> = {
    exact: 0,
    typo: 0,
    changed_postcode: 0,
    nickname: 0,
    invalid_nhs_number: 0,
    missing_postcode: 0,
  };
  /** The current person's first record written with their NHS number (the linkage truth). */
  private personRecordId: string | undefined;
  private readonly sink: LineSink;
  private readonly columns: readonly string[];
  private pending: { line: string; recordId: string; recordType: string }[] = [];
  private sequence = 0;

  constructor(private readonly options: ExtractWriterOptions) {
    this.sink = new LineSink(options.file);
    this.columns = CSV_COLUMNS[options.source];
    if (options.format === 'csv') this.sink.write(this.columns.join(','));
  }

  get lines(): number {
    return this.sink.lines - (this.options.format === 'csv' ? 1 : 0);
  }

  write(draft: DraftRecord): { recordId: string; outcome: WriteOutcome } {
    const { rng, shares, source } = this.options;
    const recordId = `${source === 'liferooms' ? 'lr' : 'cp'}-${String(++this.sequence).padStart(8, '0')}`;
    const record: Record<string, unknown> = {
      record_id: recordId,
      record_type: draft.recordType,
      occurred_at: isoDateTime(draft.occurredMs),
      nhs_number: rng() < 0.1 ? spacedNhsNumber(draft.nhsNumber) : draft.nhsNumber,
      ...draft.identity,
      ...draft.fields,
    };
    const counts = (this.byRecordType[draft.recordType] ??= {
      written: 0,
      valid: 0,
      rejected: 0,
      duplicates: 0,
    });

    if (source === 'liferooms' && !draft.isIndex && rng() < shares.no_nhs_number) {
      delete record.nhs_number;
      const u = rng();
      let kind: NoNhsNumberCase = 'exact';
      let upTo = 0;
      for (const [k, key] of NO_NHS_NUMBER_CASE_KEYS) {
        upTo += shares[key];
        if (u < upTo) {
          kind = k;
          break;
        }
      }
      const given = String(record.given_name);
      // A name without a common short form gets a typo instead (and is counted as one).
      if (kind === 'nickname' && !NICKNAMES[given]) kind = 'typo';
      if (kind === 'typo') {
        const field = rng() < 0.5 ? 'given_name' : 'family_name';
        record[field] = typo(String(record[field]), rng(), rng());
      } else if (kind === 'changed_postcode') {
        record.postcode = this.options.otherPostcode(String(record.postcode), rng);
      } else if (kind === 'nickname') {
        record.given_name = NICKNAMES[given];
      } else if (kind === 'invalid_nhs_number') {
        record.nhs_number = corruptCheckDigit(draft.nhsNumber, Math.floor(rng() * 9));
      } else if (kind === 'missing_postcode') {
        delete record.postcode;
      }
      this.noNhsNumber[kind]++;
      const line = this.sink.write(this.serialise(record));
      this.ledger({
        line,
        record_id: recordId,
        kind: 'no_nhs_number',
        case: kind,
        record_type: draft.recordType,
        ...(this.personRecordId ? { same_person_as: this.personRecordId } : {}),
      });
      counts.written++;
      counts.valid++;
      return { recordId, outcome: `no_nhs_number_${kind}` };
    }

    const dirt = draft.isIndex ? undefined : this.chooseDirt(draft, record);
    if (dirt === 'duplicates' || dirt === undefined) {
      if (source === 'liferooms') this.personRecordId ??= recordId;
      const text = this.serialise(record);
      this.sink.write(text);
      counts.written++;
      counts.valid++;
      if (dirt === 'duplicates')
        this.pending.push({ line: text, recordId, recordType: draft.recordType });
      return { recordId, outcome: 'valid' };
    }
    let text: string;
    switch (dirt) {
      case 'invalid_nhs_number':
        record.nhs_number = corruptCheckDigit(draft.nhsNumber, Math.floor(rng() * 9));
        break;
      case 'invalid_postcode':
        record.postcode = corruptPostcode(String(record.postcode));
        break;
      case 'date_in_future':
        record.occurred_at = isoDateTime(addYears(draft.occurredMs, 100));
        break;
      case 'unknown_record_type':
        record.record_type = UNKNOWN_RECORD_TYPE;
        break;
      case 'wrong_item_count': {
        const items = record.items as number[];
        record.items = rng() < 0.5 ? items.slice(0, 6) : [...items, items[6]];
        break;
      }
      case 'required':
        delete record.occurred_at;
        break;
      case 'not_json':
        break;
    }
    text = this.serialise(record);
    if (dirt === 'not_json') text = text.slice(0, Math.floor(text.length / 2));
    const line = this.sink.write(text);
    this.planted[dirt]++;
    counts.written++;
    counts.rejected++;
    this.ledger({
      line,
      record_id: recordId,
      kind: dirt,
      reason: REJECTION[dirt].reason,
      field: REJECTION[dirt].field,
    });
    return { recordId, outcome: 'rejected' };
  }

  /** Resends this person's chosen records verbatim, after the rest of their records. */
  endPerson(): void {
    this.personRecordId = undefined;
    for (const resend of this.pending) {
      const line = this.sink.write(resend.line);
      this.byRecordType[resend.recordType].written++;
      this.byRecordType[resend.recordType].duplicates++;
      this.ledger({ line, record_id: resend.recordId, kind: 'duplicates' });
    }
    this.pending = [];
  }

  close(): void {
    this.endPerson();
    this.sink.close();
  }

  private chooseDirt(
    draft: DraftRecord,
    record: Record<string, unknown>,
  ): RejectionKind | 'duplicates' | undefined {
    const { rng, shares, format, source } = this.options;
    let u = rng();
    for (const kind of REJECTION_KINDS) {
      const applies =
        kind === 'invalid_nhs_number'
          ? // On a Life Rooms record the NHS number is optional: a bad one is kept with a warning
            // (a linkage case, planted above), so it is planted as a rejection on CIPHA only.
            typeof record.nhs_number === 'string' && source === 'cipha'
          : kind === 'invalid_postcode'
            ? typeof record.postcode === 'string'
            : kind === 'date_in_future'
              ? draft.recordType !== 'inpatient_admission' // its discharged_at would then precede it
              : kind === 'wrong_item_count'
                ? Array.isArray(record.items)
                : kind === 'not_json'
                  ? format === 'ndjson'
                  : true;
      if (!applies) continue;
      if (u < shares[kind]) return kind;
      u -= shares[kind];
    }
    return u < shares.duplicates ? 'duplicates' : undefined;
  }

  private serialise(record: Record<string, unknown>): string {
    if (this.options.format === 'ndjson') return JSON.stringify(record);
    return this.columns.map((c) => csvCell(record[c])).join(',');
  }

  private ledger(entry: Record<string, unknown>): void {
    this.options.ledger.write(JSON.stringify({ source: this.options.source, ...entry }));
  }
}
