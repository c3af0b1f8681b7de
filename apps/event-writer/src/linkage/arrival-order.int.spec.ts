import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import { openEventStore } from '@linkage/event-store';
import { Pseudonymiser, nhsCheckDigit } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { createFreshDatabase, readEntireLog } from '@linkage/testing';
import { createInProcessTransport } from '@linkage/transport';
import {
  dumpAllTables,
  findIdentifiers,
  identifierNeedles,
  testNhsNumbers,
} from '../../../ingest/src/testing/ingest-fixtures';
import { runFileIngest } from '../../../ingest/src';
import { catchUp } from '../../../projector/src';

/**
 * One owner of link decisions: the same Life Rooms records ingested in different orders (walk-ins
 * before, after and between the records with an NHS number, in one run or several) give the same
 * read models, and every walk-in lands on its person.
 */
const [nhsA, nhsB] = testNhsNumbers(2, 7);
const A = {
  given_name: 'Aurelia',
  family_name: 'Quennell',
  date_of_birth: '1980-03-04',
  sex: 'F',
  postcode: 'L9 2AF',
};
const B = {
  given_name: 'Desmond',
  family_name: 'Ravensworth',
  date_of_birth: '1975-11-30',
  sex: 'M',
  postcode: 'PR8 1RJ',
};
const STRANGER = {
  given_name: 'Florian',
  family_name: 'Vexley',
  date_of_birth: '1990-01-01',
  sex: 'M',
  postcode: 'L20 3NJ',
};

/** An NHS number with a wrong check digit (still 10 digits, 999 range). */
function badNhsNumber(valid: string): string {
  const body = valid.slice(0, 9);
  const check = nhsCheckDigit(body);
  return `${body}${((check ?? 0) + 1) % 10}`;
}

const visit = (id: string, at: string, identity: object, nhs?: string) =>
  JSON.stringify({
    record_id: id,
    record_type: 'visit',
    occurred_at: at,
    ...(nhs ? { nhs_number: nhs } : {}),
    ...identity,
    site: 'walton',
    purpose: 'cafe',
  });

const RECORDS = {
  a: visit('a-nhs', '2023-01-02T10:00:00Z', A, nhsA),
  b: visit('b-nhs', '2023-01-03T10:00:00Z', B, nhsB),
  aExact: visit('a-walk-exact', '2023-02-01T10:00:00Z', A),
  aTypo: JSON.stringify({
    record_id: 'a-walk-typo',
    record_type: 'wellbeing_measure',
    occurred_at: '2023-02-02T10:00:00Z',
    ...A,
    given_name: 'Aurilia',
    instrument: 'swemwbs',
    items: [3, 3, 4, 2, 3, 4, 3],
    timing: 'baseline',
  }),
  aMoved: visit('a-walk-moved', '2023-02-03T10:00:00Z', { ...A, postcode: 'L4 0TH' }),
  aBadNhs: visit('a-walk-bad-nhs', '2023-02-04T10:00:00Z', A, badNhsNumber(nhsA)),
  bExact: visit('b-walk-exact', '2023-02-05T10:00:00Z', B),
  stranger: visit('stranger', '2023-02-06T10:00:00Z', STRANGER),
};
type Key = keyof typeof RECORDS;
const WALK_INS: Key[] = ['aExact', 'aTypo', 'aMoved', 'aBadNhs', 'bExact', 'stranger'];

/** Each order is a list of ingest runs, each run a list of records. */
const ORDERS: Record<string, Key[][]> = {
  'NHS-numbered first, walk-ins in a later run': [['a', 'b'], WALK_INS],
  'walk-ins first, NHS-numbered in a later run': [WALK_INS, ['a', 'b']],
  'one run, walk-ins between': [
    ['aExact', 'a', 'aTypo', 'bExact', 'stranger', 'b', 'aMoved', 'aBadNhs'],
  ],
  'one run per record, reversed': [...Object.keys(RECORDS)].reverse().map((k) => [k as Key]),
};

describe('linkage does not depend on arrival order', () => {
  const key = randomBytes(32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-order-'));
  const snapshots: Record<string, unknown> = {};
  const logs: Record<
    string,
    { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[]
  > = {};
  let dump = '';

  beforeAll(async () => {
    const logger = createLogger('test', { level: 'warn' });
    logger.level = 'warn';
    const postcodes = loadPostcodeLookup();
    for (const [name, runs] of Object.entries(ORDERS)) {
      const fresh = await createFreshDatabase('linkage_order');
      const db = await openDatabase({ url: fresh.url });
      const store = await openEventStore({ db });
      try {
        const pseudonymiser = new Pseudonymiser({ key, keyId: 'test-key' });
        for (const [i, run] of runs.entries()) {
          const file = path.join(dir, `${name.replace(/\W+/g, '-')}-${i}.ndjson`);
          fs.writeFileSync(file, run.map((k) => RECORDS[k]).join('\n') + '\n');
          const transport = createInProcessTransport();
          try {
            await runFileIngest({
              source: 'liferooms',
              files: [file],
              transport,
              db,
              logger,
              pseudonymiser,
              postcodes,
              store,
              embeddedWriter: true,
              progress: false,
            });
          } finally {
            await transport.close();
          }
        }
        await catchUp({ sql: db.sql, store });
        const lifeRooms = await db.sql<
          {
            subject: string;
            person_id: string | null;
            contacts: number;
            visits: number;
            wellbeing_baseline: number | null;
            records: string[];
          }[]
        >`
          select subject, person_id, contacts, visits, wellbeing_baseline,
            array(select jsonb_object_keys(doc->'facts') order by 1) as records
          from read_model.life_rooms order by subject`;
        const links = await db.sql`
          select event_id::text, person_id from read_model.record_link order by event_id`;
        snapshots[name] = { lifeRooms, links };
        logs[name] = (await readEntireLog(store)).map((e) => ({
          type: e.type,
          data: e.data,
          metadata: e.metadata as Record<string, unknown>,
        }));
        if (!dump) dump = await dumpAllTables(fresh.url);
      } finally {
        await store.close();
        await db.close();
        await fresh.drop();
      }
    }
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives identical read models in every order', () => {
    const [first, ...rest] = Object.values(snapshots);
    expect(rest).toHaveLength(Object.keys(ORDERS).length - 1);
    for (const other of rest) expect(other).toEqual(first);
  });

  it.each(Object.keys(ORDERS))(
    '%s: walk-ins land on their person, the stranger stays alone',
    (name) => {
      const { lifeRooms } = snapshots[name] as {
        lifeRooms: {
          subject: string;
          person_id: string | null;
          contacts: number;
          records: string[];
        }[];
      };
      const people = lifeRooms.filter((r) => r.person_id !== null);
      expect(people.map((p) => p.contacts).sort()).toEqual([2, 5]);
      const unlinked = lifeRooms.filter((r) => r.person_id === null);
      expect(unlinked).toHaveLength(1);
      expect(unlinked[0].subject).toMatch(/^record:/);
      expect(lifeRooms.some((r) => r.subject.startsWith('link:'))).toBe(false);
    },
  );

  it('records every link as a decision event with evidence and score, never identifiers', () => {
    const log = logs['NHS-numbered first, walk-ins in a later run'];
    const linked = log.filter((e) => e.type === 'RecordLinked');
    expect(linked).toHaveLength(5);
    for (const e of linked) {
      expect(e.data).toMatchObject({ method: 'fuzzy', eventIds: [expect.any(String)] });
      expect(typeof e.data.weight).toBe('number');
      expect(Object.keys(e.data.evidence as object).sort()).toEqual([
        'dateOfBirth',
        'familyName',
        'givenName',
        'postcode',
        'sex',
      ]);
    }
    // Encodings are linkage's working data, not part of the stored record.
    expect(log.some((e) => 'linkageEncoding' in e.data)).toBe(false);
  });

  it('keeps a record with an invalid NHS number, with a warning naming the field only', () => {
    const log = logs['one run, walk-ins between'];
    const warned = log.filter((e) => Array.isArray(e.metadata.warnings));
    expect(warned).toHaveLength(1);
    expect(warned[0].metadata.warnings).toEqual([
      { field: '/nhs_number', reason: 'invalid_nhs_number' },
    ]);
    expect(warned[0].data).toMatchObject({ recordId: 'a-walk-bad-nhs', personId: null });
    expect(JSON.stringify(warned[0])).not.toContain(badNhsNumber(nhsA));
  });

  it('leaves no identifier in any table', () => {
    const ids = [A, B, STRANGER];
    const needles = identifierNeedles({
      nhsNumbers: [nhsA, nhsB, badNhsNumber(nhsA)],
      names: ids.flatMap((p) => [p.given_name, p.family_name]).concat('Aurilia'),
      datesOfBirth: ids.map((p) => p.date_of_birth),
      postcodes: ids.map((p) => p.postcode).concat('L4 0TH'),
    });
    expect(dump.length).toBeGreaterThan(1000);
    expect(findIdentifiers(dump, needles)).toEqual([]);
  });
});
