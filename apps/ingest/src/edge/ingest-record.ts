import {
  SOURCES,
  parseNdjsonLine,
  validateSourceRecord,
  type FieldError,
  type RejectionReason,
  type Source,
  type SourceRecordEvent,
} from '@linkage/contracts';
import { toCanonicalEvent, type EdgeContext } from './to-canonical-event';

/**
 * Why a record was not ingested: names the record (source, record id, line), the first failing
 * field (JSON Pointer) and a stable reason; `errors` lists every problem. Never a value.
 */
export interface Rejection {
  source: string;
  /** Only when the record carried a well-formed (1-64 character) `record_id`. */
  recordId?: string;
  line?: number;
  field: string;
  reason: RejectionReason;
  errors: FieldError[];
}

export type IngestResult =
  { ok: true; event: SourceRecordEvent } | { ok: false; rejection: Rejection };

function recordIdOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  if (!Object.prototype.hasOwnProperty.call(input, 'record_id')) return undefined;
  const id = (input as { record_id?: unknown }).record_id;
  if (typeof id !== 'string') return undefined;
  const trimmed = id.trim();
  return trimmed.length >= 1 && trimmed.length <= 64 ? trimmed : undefined;
}

function reject(
  source: string,
  errors: FieldError[],
  ctx: { line?: number },
  recordId?: string,
): IngestResult {
  return {
    ok: false,
    rejection: {
      source,
      ...(recordId !== undefined ? { recordId } : {}),
      ...(ctx.line !== undefined ? { line: ctx.line } : {}),
      field: errors[0].field,
      reason: errors[0].reason,
      errors,
    },
  };
}

/**
 * The ingest edge for one record: parses it (when given an NDJSON line), validates it against
 * the v1 contract and maps it to its canonical event. Identifiers do not leave this function
 * except as pseudonyms.
 */
export function ingestRecord(
  source: Source,
  input: unknown,
  ctx: EdgeContext & { now: Date },
): IngestResult {
  if (!(SOURCES as readonly string[]).includes(source)) {
    return reject('unknown', [{ field: '', reason: 'unknown_source' }], ctx);
  }
  let value = input;
  if (typeof input === 'string') {
    const parsed = parseNdjsonLine(input);
    if (!parsed.ok) return reject(source, parsed.errors, ctx);
    value = parsed.value;
  }
  const validated = validateSourceRecord(source, value, ctx);
  if (!validated.ok) return reject(source, validated.errors, ctx, recordIdOf(value));
  const event = toCanonicalEvent(source, validated.record, ctx);
  if (validated.warnings) {
    (event.metadata as { warnings?: FieldError[] }).warnings = validated.warnings.map((w) => ({
      field: w.field,
      reason: w.reason,
    }));
  }
  return { ok: true, event };
}
