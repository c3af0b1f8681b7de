import { parseNdjsonLine, recordTypesOf, validateSourceRecord } from './validate-source-record';
import { REJECTION_REASONS } from './rejection-reasons';

const now = new Date('2025-01-01T00:00:00Z');
const visit = {
  record_id: 'v-1',
  record_type: 'visit',
  occurred_at: '2024-03-01T10:15:00+00:00',
  site: 'walton',
  purpose: 'it',
};

describe('validateSourceRecord', () => {
  it('lists every record type of each source', () => {
    expect(recordTypesOf('liferooms')).toHaveLength(8);
    expect(recordTypesOf('cipha')).toEqual([
      'registration',
      'gp_appointment',
      'ae_attendance',
      'inpatient_admission',
      'outpatient_attendance',
      'mental_health_contact',
      'nhs111_call',
      'ambulance_incident',
      'death',
      'opt_out',
      'opt_in',
      'condition',
    ]);
  });

  it('normalises the NHS number and postcode and coerces CSV strings', () => {
    const result = validateSourceRecord(
      'liferooms',
      {
        ...visit,
        record_type: 'wellbeing_measure',
        instrument: 'swemwbs',
        items: '1|2|3|4|5|4|3',
        timing: 'baseline',
        nhs_number: ' 999-476 5914 ',
        postcode: 'l92af',
        site: undefined,
      },
      { now },
    );
    expect(result).toEqual({
      ok: true,
      record: {
        record_id: 'v-1',
        record_type: 'wellbeing_measure',
        occurred_at: '2024-03-01T10:15:00+00:00',
        nhs_number: '9994765914',
        postcode: 'L9 2AF',
        instrument: 'swemwbs',
        items: [1, 2, 3, 4, 5, 4, 3],
        timing: 'baseline',
      },
    });
  });

  it('coerces CSV booleans and integers', () => {
    const s = validateSourceRecord(
      'liferooms',
      {
        ...visit,
        record_type: 'session_attendance',
        course_id: 'c',
        session_id: 's',
        attended: 'false',
      },
      { now },
    );
    expect(s.ok && s.record).toMatchObject({ attended: false });
    const a = validateSourceRecord(
      'cipha',
      {
        ...visit,
        record_type: 'ae_attendance',
        nhs_number: '9994765914',
        department_type: '2',
        disposal: 'left',
      },
      { now },
    );
    expect(a.ok && a.record).toMatchObject({ department_type: 2 });
  });

  it('drops fields outside the contract', () => {
    const result = validateSourceRecord(
      'liferooms',
      { ...visit, notes: 'Spoke to Jane about her debts', source: 'x', personId: 'y' },
      { now },
    );
    expect(result.ok && Object.keys(result.record).sort()).toEqual([
      'occurred_at',
      'purpose',
      'record_id',
      'record_type',
      'site',
    ]);
  });

  it('is immune to prototype pollution', () => {
    const line = `{"record_id":"p1","record_type":"visit","occurred_at":"2024-03-01T10:15:00Z","site":"walton","purpose":"it","__proto__":{"polluted":true,"site":"bootle"},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true}}`;
    const parsed = parseNdjsonLine(line);
    if (!parsed.ok) throw new Error('not parsed');
    const result = validateSourceRecord('liferooms', parsed.value, { now });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.getPrototypeOf(result.record)).toBe(Object.prototype);
    expect(Object.keys(result.record)).not.toContain('__proto__');
    expect(result.record).toMatchObject({ site: 'walton' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((result.record as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not take fields from the prototype chain', () => {
    const input = Object.create({ record_type: 'visit', site: 'walton' }) as Record<
      string,
      unknown
    >;
    Object.assign(input, { record_id: 'x', occurred_at: '2024-03-01T10:15:00Z', purpose: 'it' });
    expect(validateSourceRecord('liferooms', input, { now })).toEqual({
      ok: false,
      errors: [{ field: '/record_type', reason: 'required' }],
    });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'registration'])(
    'rejects record_type %s as unknown for liferooms',
    (recordType) => {
      expect(
        validateSourceRecord('liferooms', { ...visit, record_type: recordType }, { now }),
      ).toEqual({
        ok: false,
        errors: [{ field: '/record_type', reason: 'unknown_record_type' }],
      });
    },
  );

  it.each([
    ['null', null],
    ['an array', [visit]],
    ['a string', 'visit'],
    ['a number', 7],
  ])('rejects %s as a record', (_name, input) => {
    expect(validateSourceRecord('liferooms', input, { now })).toEqual({
      ok: false,
      errors: [{ field: '', reason: 'invalid_type' }],
    });
  });

  it('rejects an unknown source', () => {
    expect(validateSourceRecord('emis' as never, visit, { now })).toEqual({
      ok: false,
      errors: [{ field: '', reason: 'unknown_source' }],
    });
  });

  it('reports every problem of a record at once', () => {
    const result = validateSourceRecord(
      'cipha',
      { record_type: 'gp_appointment', occurred_at: '2030-01-01T00:00:00Z', mode: 'fax' },
      { now },
    );
    expect(!result.ok && result.errors).toEqual(
      expect.arrayContaining([
        { field: '/record_id', reason: 'required' },
        { field: '/nhs_number', reason: 'required' },
        { field: '/practice_code', reason: 'required' },
        { field: '/mode', reason: 'invalid_value' },
        { field: '/occurred_at', reason: 'date_in_future' },
      ]),
    );
  });

  it('uses the clock it is given', () => {
    const r = { ...visit, occurred_at: '2025-06-01T00:00:00Z' };
    expect(validateSourceRecord('liferooms', r, { now }).ok).toBe(false);
    expect(validateSourceRecord('liferooms', r, { now: new Date('2025-06-02T00:00:00Z') }).ok).toBe(
      true,
    );
  });

  it('accepts a date-time with an offset that is in the past in UTC', () => {
    const r = { ...visit, occurred_at: '2025-01-01T00:30:00+01:00' };
    expect(validateSourceRecord('liferooms', r, { now }).ok).toBe(true);
  });

  it('never puts a value into its errors', () => {
    const result = validateSourceRecord(
      'liferooms',
      {
        ...visit,
        nhs_number: '1234567890',
        postcode: 'ZZZ ZZZ',
        given_name: 7,
        date_of_birth: '1983-13-40',
        sex: 'female',
      },
      { now },
    );
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/1234567890|ZZZ|1983|female/);
  });

  it('only produces reasons from REJECTION_REASONS', () => {
    expect(new Set(REJECTION_REASONS).size).toBe(REJECTION_REASONS.length);
    for (const reason of REJECTION_REASONS) expect(reason).toMatch(/^[a-z]+(_[a-z0-9]+)*$/);
  });
});

describe('parseNdjsonLine', () => {
  it('parses an object', () => {
    expect(parseNdjsonLine('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
  });

  it.each(['', 'not json', '{"a":', '[1,2]', '"string"', '42', 'null', 'true'])(
    'rejects %j as not_json',
    (line) => {
      expect(parseNdjsonLine(line)).toEqual({
        ok: false,
        errors: [{ field: '', reason: 'not_json' }],
      });
    },
  );
});
