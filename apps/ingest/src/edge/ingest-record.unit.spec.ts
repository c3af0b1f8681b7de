import { randomBytes } from 'node:crypto';
import { EVENT_TYPES, validateCanonicalEvent } from '@linkage/contracts';
import { Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { eventIdFor, ingestRecord } from './index';

const now = new Date('2024-06-01T12:00:00Z');
const pseudonymiser = new Pseudonymiser({ key: randomBytes(32), keyId: 'test-key' });
const ctx = {
  pseudonymiser,
  postcodes: loadPostcodeLookup(),
  receivedAt: now,
  now,
  ingestRunId: 'run-1',
};

// Identifiers that must never come out of the edge.
const NHS = '999 476 5914';
const IDENTITY = {
  nhs_number: NHS,
  given_name: 'Zebedee',
  family_name: "O'Quillan-Smythe",
  date_of_birth: '1983-07-14',
  postcode: 'l9 2af',
  sex: 'F',
};

function leaks(text: string): string[] {
  const found: string[] = [];
  const compact = text.replace(/[\s-]/g, '').toLowerCase();
  if (compact.includes('9994765914')) found.push('nhs_number');
  if (/zebedee/i.test(text)) found.push('given_name');
  if (/quillan|smythe/i.test(text)) found.push('family_name');
  if (text.includes('1983-07-14') || text.includes('14/07/1983')) found.push('date_of_birth');
  if (compact.includes('l92af')) found.push('postcode');
  if (/notes|secret/i.test(text)) found.push('free text');
  return found;
}

const liferoomsRecords: Record<string, Record<string, unknown>> = {
  visit: { site: 'walton', purpose: 'cafe' },
  course_enrolment: { course_id: 'C-1', course_title: 'Living with Anxiety', delivery: 'online' },
  session_attendance: { course_id: 'C-1', session_id: 'S-1', attended: 'true' },
  referral: { referral_id: 'R-1', referrer: 'gp', via: 'card' },
  pathways_contact: { contact_id: 'P-1', mode: 'telephone' },
  social_prescription: { prescription_id: 'SP-1', need: 'debt', provider_id: 'VCSE-9' },
  prescription_outcome: { prescription_id: 'SP-1', outcome: 'completed' },
  wellbeing_measure: { instrument: 'swemwbs', items: '1|2|3|4|5|4|3', timing: 'baseline' },
};
const ciphaRecords: Record<string, Record<string, unknown>> = {
  registration: {
    date_of_birth: '1983-07-14',
    sex: 'F',
    postcode: 'L9 2AF',
    practice_code: 'N82001',
  },
  gp_appointment: { practice_code: 'N82001', mode: 'home_visit' },
  ae_attendance: { department_type: '1', disposal: 'admitted' },
  inpatient_admission: {
    method: 'emergency',
    specialty: '300',
    discharged_at: '2024-05-03T10:00:00+01:00',
  },
  outpatient_attendance: { specialty: '110', attended: false },
  mental_health_contact: { team: 'crht', contact_type: 'video' },
  nhs111_call: {},
  ambulance_incident: { outcome: 'conveyed' },
  death: {},
  opt_out: { type: 'national_data_opt_out' },
  opt_in: { type: 'national_data_opt_out' },
  condition: { cluster: 'copd', resolved_at: '2024-06-01T09:00:00Z' },
};

describe('ingestRecord', () => {
  const all = [
    ...Object.entries(liferoomsRecords).map(([t, f]) => ['liferooms', t, f] as const),
    ...Object.entries(ciphaRecords).map(([t, f]) => ['cipha', t, f] as const),
  ];

  it.each(all)(
    'maps %s %s to a valid canonical event without identifiers',
    (source, recordType, fields) => {
      const input = {
        record_id: `${recordType}-1`,
        record_type: recordType,
        occurred_at: '2024-05-01T09:30:00+01:00',
        ...IDENTITY,
        notes: 'secret notes about Zebedee',
        ...fields,
      };
      const result = ingestRecord(source, JSON.stringify(input), { ...ctx, line: 7 });
      if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.rejection)}`);
      const { event } = result;
      expect(validateCanonicalEvent(event)).toEqual({ ok: true, event });
      expect(leaks(JSON.stringify(event))).toEqual([]);
      expect(event.eventId).toBe(eventIdFor(source, `${recordType}-1`));
      expect(event.data.personId).toBe(pseudonymiser.personId('9994765914'));
      expect(event.data.occurredAt).toBe('2024-05-01T08:30:00.000Z');
      expect(event.metadata).toEqual({
        receivedAt: now.toISOString(),
        ingestRunId: 'run-1',
        line: 7,
      });
      expect(event.data).not.toHaveProperty('notes');
    },
  );

  it('never stores the free-text course title: the course id names the course', () => {
    const result = ingestRecord(
      'liferooms',
      {
        record_id: 'enrol-1',
        record_type: 'course_enrolment',
        occurred_at: '2024-05-01T09:30:00Z',
        ...IDENTITY,
        ...liferoomsRecords.course_enrolment,
      },
      ctx,
    );
    if (!result.ok) throw new Error('rejected');
    expect(result.event.data).toMatchObject({ courseId: 'C-1', delivery: 'online' });
    expect(result.event.data).not.toHaveProperty('courseTitle');
    expect(JSON.stringify(result.event)).not.toContain('Living with Anxiety');
  });

  it('produces every source-record event type', () => {
    const types = all.map(([source, recordType, fields]) => {
      const r = ingestRecord(
        source,
        {
          record_id: 'x',
          record_type: recordType,
          occurred_at: '2024-05-01T09:30:00Z',
          ...IDENTITY,
          ...fields,
        },
        ctx,
      );
      return r.ok ? r.event.type : 'rejected';
    });
    expect(new Set(types)).toEqual(
      new Set(EVENT_TYPES.filter((t) => t !== 'RecordLinked' && t !== 'RecordUnlinked')),
    );
  });

  it('keeps demographics only as year of birth, sex, sector, district and reference areas', () => {
    const r = ingestRecord(
      'liferooms',
      {
        record_id: 'v1',
        record_type: 'visit',
        occurred_at: '2024-05-01T09:30:00Z',
        ...IDENTITY,
        site: 'walton',
        purpose: 'it',
      },
      ctx,
    );
    expect(r.ok && r.event.data).toMatchObject({
      yearOfBirth: 1983,
      sex: 'F',
      postcodeSector: 'L9 2',
      postcodeDistrict: 'L9',
      postcodeInLookup: true,
      localAuthority: 'Liverpool',
    });
    const data = r.ok ? (r.event.data as { lsoa: string; imdDecile: number }) : undefined;
    expect(data?.lsoa).toMatch(/^E01\d{6}$/);
    expect(data?.imdDecile).toBeGreaterThanOrEqual(1);
  });

  it('marks a well-formed postcode missing from the table', () => {
    const r = ingestRecord(
      'liferooms',
      {
        record_id: 'v2',
        record_type: 'visit',
        occurred_at: '2024-05-01T09:30:00Z',
        postcode: 'SW1A 1AA',
        site: 'walton',
        purpose: 'it',
      },
      ctx,
    );
    expect(r.ok && r.event.data).toMatchObject({
      postcodeSector: 'SW1A 1',
      postcodeInLookup: false,
      lsoa: null,
      imdDecile: null,
      localAuthority: null,
    });
  });

  it('sets a link key with or without an NHS number, equal for both, and no person id without one', () => {
    const base = {
      record_type: 'visit',
      occurred_at: '2024-05-01T09:30:00Z',
      site: 'walton',
      purpose: 'it',
    };
    const withNhs = ingestRecord('liferooms', { ...base, record_id: 'a', ...IDENTITY }, ctx);
    const { nhs_number: _n, ...noNhs } = IDENTITY;
    const without = ingestRecord(
      'liferooms',
      { ...base, record_id: 'b', ...noNhs, given_name: ' ZEBEDEE ', postcode: 'L92AF' },
      ctx,
    );
    expect(withNhs.ok && without.ok).toBe(true);
    if (!withNhs.ok || !without.ok) return;
    expect(without.event.data.personId).toBeNull();
    expect(without.event.data.linkKey).toMatch(/^[0-9a-f]{32}$/);
    expect(without.event.data.linkKey).toBe(withNhs.event.data.linkKey);
  });

  it('computes the SWEMWBS raw total and metric score', () => {
    const r = ingestRecord(
      'liferooms',
      {
        record_id: 'w',
        record_type: 'wellbeing_measure',
        occurred_at: '2024-05-01T09:30:00Z',
        instrument: 'swemwbs',
        items: [5, 5, 5, 5, 5, 5, 5],
        timing: 'follow_up',
      },
      ctx,
    );
    expect(r.ok && r.event.data).toMatchObject({
      swemwbsRaw: 35,
      swemwbsMetric: 35,
      items: [5, 5, 5, 5, 5, 5, 5],
    });
  });

  it('gives the same event id on redelivery', () => {
    const line = JSON.stringify({
      record_id: 'same',
      record_type: 'death',
      occurred_at: '2024-05-01T09:30:00Z',
      nhs_number: NHS,
    });
    const a = ingestRecord('cipha', line, ctx);
    const b = ingestRecord('cipha', line, { ...ctx, receivedAt: new Date('2024-06-02T00:00:00Z') });
    expect(a.ok && b.ok && a.event.eventId === b.event.eventId).toBe(true);
    expect(eventIdFor('cipha', 'same')).not.toBe(eventIdFor('liferooms', 'same'));
    expect(eventIdFor('cipha', 'same')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  describe('rejections', () => {
    const bad: [string, unknown, string, string][] = [
      ['not JSON', 'Zebedee 999 476 5914 {', '', 'not_json'],
      ['a JSON array', '["9994765914"]', '', 'not_json'],
      [
        'a bad postcode',
        {
          record_id: 'r2',
          record_type: 'visit',
          occurred_at: '2024-05-01T09:30:00Z',
          postcode: 'Zebedee Street',
          site: 'walton',
          purpose: 'it',
          given_name: 'Zebedee',
        },
        '/postcode',
        'invalid_postcode',
      ],
      [
        'a future date of birth',
        {
          record_id: 'r3',
          record_type: 'visit',
          occurred_at: '2024-05-01T09:30:00Z',
          date_of_birth: '2083-07-14',
          site: 'walton',
          purpose: 'it',
        },
        '/date_of_birth',
        'date_in_future',
      ],
      [
        'an unknown record type',
        { record_id: 'r4', record_type: 'Zebedee', occurred_at: '2024-05-01T09:30:00Z' },
        '/record_type',
        'unknown_record_type',
      ],
    ];
    it.each(bad)('rejects %s without echoing values', (_name, input, field, reason) => {
      const r = ingestRecord('liferooms', input, { ...ctx, line: 3 });
      if (r.ok) throw new Error('accepted');
      expect(r.rejection).toMatchObject({ source: 'liferooms', line: 3, field, reason });
      const text = JSON.stringify(r.rejection);
      expect(leaks(text)).toEqual([]);
      expect(text).not.toMatch(/2083|9994765913|street/i);
    });

    it('keeps a Life Rooms record with a bad NHS number, warned, linkable on its other details', () => {
      const r = ingestRecord(
        'liferooms',
        {
          record_id: 'r1',
          record_type: 'visit',
          site: 'walton',
          purpose: 'it',
          occurred_at: '2024-05-01T09:30:00Z',
          ...IDENTITY,
          nhs_number: '999 476 5913',
        },
        { ...ctx, line: 3 },
      );
      if (!r.ok) throw new Error('rejected');
      expect(r.event.metadata.warnings).toEqual([
        { field: '/nhs_number', reason: 'invalid_nhs_number' },
      ]);
      expect(r.event.data.personId).toBeNull();
      expect(r.event.data.linkageEncoding?.blocks.length).toBeGreaterThan(0);
      const text = JSON.stringify(r.event);
      expect(leaks(text)).toEqual([]);
      expect(text).not.toMatch(/9994765913|999 476 5913/);
    });

    it('still rejects a bad NHS number on a CIPHA record (its only link)', () => {
      const r = ingestRecord(
        'cipha',
        {
          record_id: 'c1',
          record_type: 'death',
          occurred_at: '2024-05-01T09:30:00Z',
          nhs_number: '999 476 5913',
        },
        ctx,
      );
      expect(!r.ok && r.rejection).toMatchObject({
        field: '/nhs_number',
        reason: 'invalid_nhs_number',
      });
    });

    it('names the record id only when it is a well-formed one', () => {
      const good = ingestRecord(
        'cipha',
        { record_id: 'rec-9', record_type: 'death', occurred_at: 'yesterday', nhs_number: NHS },
        ctx,
      );
      expect(!good.ok && good.rejection.recordId).toBe('rec-9');
      const long = ingestRecord(
        'cipha',
        {
          record_id: 'x'.repeat(65),
          record_type: 'death',
          occurred_at: '2024-05-01T09:30:00Z',
          nhs_number: NHS,
        },
        ctx,
      );
      expect(!long.ok && long.rejection).toMatchObject({
        field: '/record_id',
        reason: 'invalid_length',
      });
      expect(!long.ok && long.rejection.recordId).toBeUndefined();
    });
  });
});
