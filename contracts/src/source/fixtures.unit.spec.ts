import * as fs from 'node:fs';
import * as path from 'node:path';
import { CIPHA_SCHEMAS } from './cipha';
import type { Source } from './common';
import { LIFEROOMS_SCHEMAS } from './liferooms';
import { REJECTION_REASONS, type FieldError } from './rejection-reasons';
import { validateSourceRecord } from './validate-source-record';

// contracts/fixtures/v1/<source>/<record_type>.{valid,invalid}.json: every valid example is
// accepted, every invalid one rejected with exactly the listed field-level reasons.
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'v1');
const now = new Date('2025-01-01T00:00:00Z');

interface InvalidExample {
  description: string;
  record: Record<string, unknown>;
  errors: FieldError[];
}

const read = <T>(source: string, file: string): T =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, source, file), 'utf8')) as T;

const cases: [Source, string, Record<string, unknown>][] = [
  ...Object.entries(LIFEROOMS_SCHEMAS).map(
    ([t, s]) => ['liferooms' as const, t, s.properties] as const,
  ),
  ...Object.entries(CIPHA_SCHEMAS).map(([t, s]) => ['cipha' as const, t, s.properties] as const),
] as never;

// Any string value of the input long enough to be meaningful must not reappear in errors.
function valuesOf(record: Record<string, unknown>): string[] {
  return Object.values(record)
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .map(String)
    .filter((v) => v.length >= 4);
}

describe.each(cases)('%s %s fixtures', (source, recordType, properties) => {
  const valid = read<Record<string, unknown>[]>(source, `${recordType}.valid.json`);
  const invalid = read<InvalidExample[]>(source, `${recordType}.invalid.json`);

  it('has several valid and invalid examples', () => {
    expect(valid.length).toBeGreaterThanOrEqual(2);
    expect(invalid.length).toBeGreaterThanOrEqual(5);
  });

  it.each(valid.map((r) => [r.record_id, r] as const))(
    'accepts %s, keeping contract fields only',
    (_id, record) => {
      const result = validateSourceRecord(source, record, { now });
      if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.errors)}`);
      expect(result.record.record_type).toBe(recordType);
      for (const key of Object.keys(result.record)) expect(Object.keys(properties)).toContain(key);
      for (const value of Object.values(result.record))
        expect(value === null || value === '').toBe(false);
    },
  );

  it.each(invalid.map((e) => [e.description, e] as const))(
    'rejects %s',
    (_description, example) => {
      const result = validateSourceRecord(source, example.record, { now });
      if (result.ok) throw new Error('accepted');
      expect(result.errors).toEqual(example.errors);
      for (const e of result.errors) expect(REJECTION_REASONS).toContain(e.reason);
      const text = JSON.stringify(result.errors);
      for (const value of valuesOf(example.record)) {
        if (!['record_id', 'record_type'].some((k) => example.record[k] === value))
          expect(text).not.toContain(value);
      }
    },
  );
});

// contracts/fixtures/v1/liferooms/<record_type>.warned.json: records kept despite a defect in an
// optional field (an invalid NHS number): accepted without the field, with a warning naming it.
describe.each(Object.keys(LIFEROOMS_SCHEMAS))('liferooms %s warned fixtures', (recordType) => {
  const warned = read<
    { description: string; record: Record<string, unknown>; warnings: FieldError[] }[]
  >('liferooms', `${recordType}.warned.json`);

  it('has examples', () => expect(warned.length).toBeGreaterThanOrEqual(2));

  it.each(warned.map((e) => [e.description, e] as const))('accepts %s', (_d, example) => {
    const result = validateSourceRecord('liferooms', example.record, { now });
    if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.errors)}`);
    expect(result.warnings).toEqual(example.warnings);
    expect(result.record).not.toHaveProperty('nhs_number');
    const text = JSON.stringify(result.warnings);
    for (const v of valuesOf(example.record)) expect(text).not.toContain(v);
  });
});

describe('cipha: an invalid NHS number is still a rejection (it is what the record links on)', () => {
  it('rejects a registration with a wrong check digit', () => {
    const [valid] = read<Record<string, unknown>[]>('cipha', 'registration.valid.json');
    const result = validateSourceRecord('cipha', { ...valid, nhs_number: '9990000019' }, { now });
    expect(result).toEqual({
      ok: false,
      errors: [{ field: '/nhs_number', reason: 'invalid_nhs_number' }],
    });
  });
});
