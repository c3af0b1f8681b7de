import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { TObject } from '@sinclair/typebox';
import {
  isValidNhsNumber,
  normaliseNhsNumber,
  tryNormalisePostcode,
} from '@linkage/pseudonymisation';
import { NHS_NUMBER_FORMAT, SOURCES, UK_POSTCODE_FORMAT, type Source } from './common';
import { LIFEROOMS_SCHEMAS, type LiferoomsRecord } from './liferooms';
import { CIPHA_SCHEMAS, type CiphaRecord } from './cipha';
import type { FieldError, RejectionReason } from './rejection-reasons';

/** A validated, normalised source record: known fields only, CSV strings coerced. */
export type SourceRecord = LiferoomsRecord | CiphaRecord;
export type SourceRecordOf<S extends Source> = S extends 'liferooms'
  ? LiferoomsRecord
  : CiphaRecord;

/**
 * A valid record may come with data-quality warnings: a defect that does not stop the record
 * being used (field and reason only, never the value).
 */
export type SourceValidationResult<R = SourceRecord> =
  { ok: true; record: R; warnings?: FieldError[] } | { ok: false; errors: FieldError[] };

type FieldKind = 'string' | 'boolean' | 'integer' | 'integer-array';

interface CompiledRecordType {
  validate: ValidateFunction;
  fields: { name: string; kind: FieldKind }[];
  dateTimeFields: string[];
}

const EARLIEST = Date.UTC(1900, 0, 1);
const EARLIEST_DATE = '1900-01-01';

/** One Ajv for all contracts: the formats JSON Schema cannot express are registered here. */
export function createContractsAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv, ['date', 'date-time', 'uuid']);
  ajv.addFormat(NHS_NUMBER_FORMAT, { type: 'string', validate: isValidNhsNumber });
  ajv.addFormat(UK_POSTCODE_FORMAT, {
    type: 'string',
    validate: (s: string) => tryNormalisePostcode(s) !== undefined,
  });
  return ajv;
}

function fieldKind(schema: Record<string, unknown>): FieldKind {
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'array') return 'integer-array';
  return 'string';
}

// Compiled once at load: a Map (not an object) so that `constructor` or `__proto__` as a
// record_type can never reach Object.prototype.
const compiled = new Map<Source, Map<string, CompiledRecordType>>();
{
  const ajv = createContractsAjv();
  const bySource: Record<Source, Record<string, TObject>> = {
    liferooms: LIFEROOMS_SCHEMAS,
    cipha: CIPHA_SCHEMAS,
  };
  for (const source of SOURCES) {
    const types = new Map<string, CompiledRecordType>();
    for (const [recordType, schema] of Object.entries(bySource[source])) {
      const properties = schema.properties as Record<string, Record<string, unknown>>;
      types.set(recordType, {
        validate: ajv.compile(schema),
        fields: Object.keys(properties).map((name) => ({
          name,
          kind: fieldKind(properties[name]),
        })),
        dateTimeFields: Object.keys(properties).filter((n) => properties[n].format === 'date-time'),
      });
    }
    compiled.set(source, types);
  }
}

/** The record types of a source, in contract order. */
export function recordTypesOf(source: Source): string[] {
  return [...(compiled.get(source)?.keys() ?? [])];
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

// CSV sends everything as strings: `"true"`, `"3"`, `"1|2|3|4|5|4|3"`. Anything else is left as
// it is for Ajv to reject with the field's name.
function coerce(kind: FieldKind, value: string): unknown {
  switch (kind) {
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'integer':
      return /^-?\d{1,9}$/.test(value) ? Number(value) : value;
    case 'integer-array':
      return value.split('|').map((s) => {
        const t = s.trim();
        return /^-?\d{1,9}$/.test(t) ? Number(t) : t;
      });
    case 'string':
      return value;
  }
}

function reasonFor(error: ErrorObject): RejectionReason {
  const inItems = /^\/items\/\d+$/.test(error.instancePath);
  switch (error.keyword) {
    case 'required':
      return 'required';
    case 'type':
      return 'invalid_type';
    case 'enum':
    case 'const':
      return 'invalid_value';
    case 'minLength':
    case 'maxLength':
      return 'invalid_length';
    case 'minItems':
    case 'maxItems':
      return 'wrong_item_count';
    case 'minimum':
    case 'maximum':
      return inItems ? 'item_out_of_range' : 'invalid_value';
    case 'format':
      switch (error.params.format) {
        case NHS_NUMBER_FORMAT:
          return 'invalid_nhs_number';
        case UK_POSTCODE_FORMAT:
          return 'invalid_postcode';
        case 'date':
          return 'invalid_date';
        default:
          return 'invalid_date_time';
      }
    default:
      return 'invalid_value';
  }
}

function fieldOf(error: ErrorObject): string {
  return error.keyword === 'required'
    ? `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}`
    : error.instancePath;
}

function failed(errors: FieldError[], field: string): boolean {
  return errors.length > 0 && errors.some((e) => e.field === field);
}

// One reason per field: the first Ajv reports (type before enum), so a reason is predictable.
function push(errors: FieldError[], field: string, reason: RejectionReason): void {
  if (!failed(errors, field)) errors.push({ field, reason });
}

/**
 * Validates one source record against its v1 contract and returns a clean copy: only the
 * contract's fields (others are dropped, never stored), CSV strings coerced (`"true"`,
 * `"1|2|3|4|5|4|3"`, `"3"`), null or empty fields treated as absent, strings trimmed, the NHS
 * number as 10 digits and the postcode in canonical form (`L9 2AF`). Errors name the field
 * (JSON Pointer) and a stable reason from `REJECTION_REASONS`, never a value.
 * The output is built from known fields only, so `__proto__`/`constructor` keys are harmless.
 */
export function validateSourceRecord<S extends Source>(
  source: S,
  input: unknown,
  ctx: { now: Date },
): SourceValidationResult<SourceRecordOf<S>> {
  const types = compiled.get(source);
  if (!types) return { ok: false, errors: [{ field: '', reason: 'unknown_source' }] };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', reason: 'invalid_type' }] };
  }
  const raw = input as Record<string, unknown>;
  const recordType = hasOwn(raw, 'record_type') ? raw.record_type : undefined;
  if (recordType === undefined || recordType === null || recordType === '') {
    return { ok: false, errors: [{ field: '/record_type', reason: 'required' }] };
  }
  if (typeof recordType !== 'string') {
    return { ok: false, errors: [{ field: '/record_type', reason: 'invalid_type' }] };
  }
  const spec = types.get(recordType.trim());
  if (!spec)
    return { ok: false, errors: [{ field: '/record_type', reason: 'unknown_record_type' }] };

  const record: Record<string, unknown> = {};
  for (const { name, kind } of spec.fields) {
    if (!hasOwn(raw, name)) continue;
    let value = raw[name];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') {
      value = value.trim();
      if (value === '') continue;
      value = coerce(kind, value as string);
    }
    record[name] = value;
  }

  const errors: FieldError[] = [];
  if (!spec.validate(record)) {
    for (const error of spec.validate.errors ?? []) push(errors, fieldOf(error), reasonFor(error));
  }

  // Checks that depend on the clock (passed in: validation is deterministic).
  const now = ctx.now.getTime();
  for (const name of spec.dateTimeFields) {
    const value = record[name];
    if (typeof value !== 'string' || failed(errors, `/${name}`)) continue;
    const at = Date.parse(value);
    if (Number.isNaN(at)) push(errors, `/${name}`, 'invalid_date_time');
    else if (at > now) push(errors, `/${name}`, 'date_in_future');
    else if (at < EARLIEST) push(errors, `/${name}`, 'date_too_early');
  }
  // A condition cannot be resolved before it was first recorded.
  const resolvedAt = record.resolved_at;
  if (
    typeof resolvedAt === 'string' &&
    typeof record.occurred_at === 'string' &&
    !failed(errors, '/resolved_at') &&
    !failed(errors, '/occurred_at') &&
    Date.parse(resolvedAt) < Date.parse(record.occurred_at)
  ) {
    push(errors, '/resolved_at', 'before_occurred_at');
  }
  const dob = record.date_of_birth;
  if (typeof dob === 'string' && !failed(errors, '/date_of_birth')) {
    if (dob > ctx.now.toISOString().slice(0, 10)) push(errors, '/date_of_birth', 'date_in_future');
    else if (dob < EARLIEST_DATE) push(errors, '/date_of_birth', 'date_too_early');
  }
  // The NHS number is optional on a Life Rooms record: a malformed one is dropped with a
  // warning and the record links on its other identifiers instead of being lost.
  const warnings: FieldError[] = [];
  if (source === 'liferooms') {
    const bad = errors.findIndex((e) => e.field === '/nhs_number');
    if (bad >= 0 && errors[bad].reason === 'invalid_nhs_number') {
      warnings.push(errors[bad]);
      errors.splice(bad, 1);
      delete record.nhs_number;
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  if (typeof record.nhs_number === 'string')
    record.nhs_number = normaliseNhsNumber(record.nhs_number);
  if (typeof record.postcode === 'string') {
    record.postcode = tryNormalisePostcode(record.postcode)?.postcode;
  }
  return warnings.length > 0
    ? { ok: true, record: record as SourceRecordOf<S>, warnings }
    : { ok: true, record: record as SourceRecordOf<S> };
}

/** Parses one NDJSON line into a plain object, or rejects it with `not_json` (no value echoed). */
export function parseNdjsonLine(
  line: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldError[] } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, errors: [{ field: '', reason: 'not_json' }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [{ field: '', reason: 'not_json' }] };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
