import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import type { Ruleset } from '@linkage/domain';
import { Pseudonymiser } from '@linkage/pseudonymisation';
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
import { catchUp, rebuildReadModels, runSegmentation } from '../../../projector/src';
import { decidePersonMergeCommand } from './person-merge';

/**
 * Merge and split of NHS-numbered persons: one person known under two NHS numbers (a duplicate
 * registration). Merged, every record of the second number counts for the first in every read
 * model and in segmentation, whether the merge is decided before, between or after the records
 * arrive; a rebuild from the events gives the same read models; a split gives back exactly the
 * read models of never having merged.
 */
const [nhsA, nhsB] = testNhsNumbers(2, 9);
const KEY = Buffer.alloc(32, 11);
const pseudonymiser = () => new Pseudonymiser({ key: KEY, keyId: 'test-key' });
const A = pseudonymiser().personId(nhsA);
const B = pseudonymiser().personId(nhsB);
const IDENTITY = {
  given_name: 'Ottoline',
  family_name: 'Pemberthy',
  date_of_birth: '1968-07-21',
  sex: 'F',
};

const cipha = (id: string, type: string, at: string, nhs: string, fields: object) =>
  JSON.stringify({ record_id: id, record_type: type, occurred_at: at, nhs_number: nhs, ...fields });
const visit = (id: string, at: string, nhs?: string) =>
  JSON.stringify({
    record_id: id,
    record_type: 'visit',
    occurred_at: at,
    ...(nhs ? { nhs_number: nhs } : {}),
    ...IDENTITY,
    postcode: 'L4 0TH',
    site: 'walton',
    purpose: 'cafe',
  });

/** The person's records under each number; B's walk-in (no NHS number) links to B. */
const STEPS = {
  early: {
    source: 'cipha' as const,
    lines: [
      cipha('reg-a', 'registration', '2019-05-01T09:00:00Z', nhsA, {
        date_of_birth: '1968-07-21',
        sex: 'F',
        postcode: 'L9 2AF',
        practice_code: 'N82001',
      }),
      cipha('reg-b', 'registration', '2021-03-01T09:00:00Z', nhsB, {
        date_of_birth: '1968-07-21',
        sex: 'F',
        postcode: 'L4 0TH',
        practice_code: 'N82002',
      }),
      cipha('cond-b', 'condition', '2022-01-10T09:00:00Z', nhsB, { cluster: 'depression' }),
      cipha('ae-b', 'ae_attendance', '2023-04-02T22:00:00Z', nhsB, {
        department_type: 1,
        disposal: 'discharged',
      }),
      cipha('gp-a', 'gp_appointment', '2023-03-01T09:00:00Z', nhsA, {
        practice_code: 'N82001',
        mode: 'telephone',
      }),
    ],
  },
  liferooms: {
    source: 'liferooms' as const,
    lines: [
      visit('visit-b', '2023-02-01T10:00:00Z', nhsB),
      visit('walk-in', '2023-05-01T10:00:00Z'),
    ],
  },
  late: {
    source: 'cipha' as const,
    lines: [
      cipha('gp-b', 'gp_appointment', '2023-06-01T09:00:00Z', nhsB, {
        practice_code: 'N82002',
        mode: 'face_to_face',
      }),
      cipha('ae-a', 'ae_attendance', '2023-07-01T22:00:00Z', nhsA, {
        department_type: 1,
        disposal: 'admitted',
      }),
    ],
  },
};
type Step = keyof typeof STEPS | 'merge';

/**
 * A Life Rooms user with depression and two GP appointments in the year: each number alone has
 * one appointment, so only the merged person qualifies.
 */
const RULESET: Ruleset = {
  id: 'merge-test',
  version: '1',
  name: 'merge test',
  mode: 'independent',
  segments: [
    {
      id: 'depressed-users',
      name: 'Life Rooms users with depression',
      criteria: {
        all: [
          { condition: ['depression'] },
          { lifeRoomsUser: true },
          { activity: ['gp_appointment'], atLeast: 2, within: { months: 12 } },
        ],
      },
    },
  ],
};

const ORDERS: Record<string, Step[]> = {
  'merge after every record': ['early', 'liferooms', 'late', 'merge'],
  'merge before any record': ['merge', 'early', 'liferooms', 'late'],
  'merge between the records': ['early', 'merge', 'liferooms', 'late'],
};

describe('merge and split of NHS-numbered persons', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-merge-'));
  const logger = createLogger('test', { level: 'warn' });
  logger.level = 'warn';
  const postcodes = loadPostcodeLookup();
  const opened: { fresh: { drop(): Promise<void> }; db: Database; store: EventStore }[] = [];
  const snapshots: Record<string, unknown> = {};
  let unmerged: unknown;
  let main: { db: Database; store: EventStore; url: string };

  async function ingest(db: Database, store: EventStore, step: keyof typeof STEPS, tag: string) {
    const file = path.join(dir, `${tag}-${step}.ndjson`);
    fs.writeFileSync(file, STEPS[step].lines.join('\n') + '\n');
    const transport = createInProcessTransport();
    try {
      const r = await runFileIngest({
        source: STEPS[step].source,
        files: [file],
        transport,
        db,
        logger,
        pseudonymiser: pseudonymiser(),
        postcodes,
        store,
        embeddedWriter: true,
        progress: false,
      });
      expect(r.rejected).toBe(0);
    } finally {
      await transport.close();
    }
  }

  const merge = (db: Database, store: EventStore, decision: 'merge' | 'split' = 'merge') =>
    decidePersonMergeCommand({
      db,
      store,
      decision,
      survivorId: A,
      mergedId: B,
      reason: decision === 'merge' ? 'duplicate_registration' : 'merged_in_error',
      now: new Date('2024-01-01T00:00:00Z'),
    });

  /** Every read model a consumer reads, in a stable order. */
  async function snapshot(db: Database) {
    const sql = db.sql;
    return {
      profiles: await sql`select person_id, opted_out, imd_decile, postcode_sector, doc
        from read_model.person_profile order by person_id`,
      lifeRooms: await sql`select subject, person_id, contacts, visits, index_date::text, doc
        from read_model.life_rooms order by subject`,
      activity: await sql`select event_id::text, activity, person_id, origin_person_id
        from read_model.activity order by event_id, activity`,
      monthly: await sql`select person_id, month::text, activity, cost_source, events, cost_gbp
        from read_model.service_use_monthly order by 1, 2, 3, 4`,
      conditions: await sql`select event_id::text, person_id, cluster, origin_person_id
        from read_model.condition order by event_id`,
      cohort: await sql`select person_id, index_date::text from read_model.cohort order by 1`,
    };
  }

  const segment = (db: Database, store: EventStore, runId: string) =>
    runSegmentation({
      sql: db.sql,
      store,
      ruleset: RULESET,
      asOf: '2024-01-01',
      actor: 'test',
      runId,
      logger,
    });

  beforeAll(async () => {
    for (const [name, steps] of Object.entries(ORDERS)) {
      const fresh = await createFreshDatabase('linkage_merge');
      const db = await openDatabase({ url: fresh.url });
      const store = await openEventStore({ db });
      opened.push({ fresh, db, store });
      if (!main) main = { db, store, url: fresh.url };
      const tag = name.replace(/\W+/g, '-');
      for (const step of steps) {
        if (step === 'merge') {
          // The first order also keeps the read models of never having merged.
          if (name === 'merge after every record') {
            await catchUp({ sql: db.sql, store });
            unmerged = await snapshot(db);
          }
          expect(await merge(db, store)).toMatchObject({ events: 1, attributedTo: A });
        } else await ingest(db, store, step, tag);
        // Projected after each step, so merges meet records both already projected and not.
        await catchUp({ sql: db.sql, store });
      }
      snapshots[name] = await snapshot(db);
    }
  }, 180_000);

  afterAll(async () => {
    for (const { fresh, db, store } of opened) {
      await store.close();
      await db.close();
      await fresh.drop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('attributes every record of the merged number to the survivor', () => {
    const s = snapshots['merge after every record'] as Awaited<ReturnType<typeof snapshot>>;
    expect(s.profiles.map((p) => p.person_id)).toEqual([A]);
    // The later registration (B's, 2021) sets the demographics; both spells are kept.
    expect(s.profiles[0].postcode_sector).toBe('L4 0');
    expect(s.profiles[0].doc.registrations).toHaveLength(2);
    expect(s.lifeRooms.map((r) => [r.subject, r.contacts])).toEqual([[`person:${A}`, 2]]);
    expect(new Set(s.activity.map((r) => r.person_id))).toEqual(new Set([A]));
    expect(s.activity.filter((r) => r.origin_person_id === B)).toHaveLength(2);
    expect(s.conditions).toEqual([expect.objectContaining({ person_id: A, origin_person_id: B })]);
    expect(s.cohort).toEqual([{ person_id: A, index_date: '2023-02-01' }]);
    const u = unmerged as Awaited<ReturnType<typeof snapshot>>;
    expect(u.profiles.map((p) => p.person_id).sort()).toEqual([A, B].sort());
    expect(u.lifeRooms.map((r) => [r.subject, r.contacts])).toEqual([[`person:${B}`, 2]]);
  });

  it('gives identical read models whether the merge comes before, between or after', () => {
    const [first, ...rest] = Object.values(snapshots);
    expect(rest).toHaveLength(2);
    for (const other of rest) expect(other).toEqual(first);
  });

  it('records the merge as an event on the merged person, with pseudonyms only', async () => {
    const log = await readEntireLog(main.store);
    const merges = log.filter((e) => e.type === 'PersonsMerged');
    expect(merges).toHaveLength(1);
    expect(merges[0].streamId).toBe(`person-${B}`);
    expect(merges[0].data).toEqual({
      personId: B,
      survivorId: A,
      reason: 'duplicate_registration',
      decision: 1,
    });
    // The same decision again appends nothing; contradictory ones are refused by name.
    expect(await merge(main.db, main.store)).toMatchObject({ events: 0 });
    await expect(
      decidePersonMergeCommand({
        db: main.db,
        store: main.store,
        decision: 'merge',
        survivorId: B,
        mergedId: A,
        reason: 'duplicate_registration',
        now: new Date(),
      }),
    ).rejects.toMatchObject({ code: 'validation_failed', detail: { field: '/survivor' } });
    await expect(
      decidePersonMergeCommand({
        db: main.db,
        store: main.store,
        decision: 'merge',
        survivorId: A,
        mergedId: A,
        reason: 'duplicate_registration',
        now: new Date(),
      }),
    ).rejects.toMatchObject({ detail: { field: '/merged', reason: 'same_person' } });
    await expect(
      decidePersonMergeCommand({
        db: main.db,
        store: main.store,
        decision: 'merge',
        survivorId: A,
        mergedId: 'not-a-pseudonym',
        reason: 'duplicate_registration',
        now: new Date(),
      }),
    ).rejects.toMatchObject({ detail: { field: '/merged', reason: 'invalid_value' } });
  });

  it('rebuilds the same read models from the events', async () => {
    const before = await snapshot(main.db);
    await rebuildReadModels({ sql: main.db.sql, store: main.store });
    expect(await snapshot(main.db)).toEqual(before);
  }, 60_000);

  it('segments the merged person as one, and splits back to exactly the unmerged read models', async () => {
    const merged = await segment(main.db, main.store, 'run-merged');
    expect(merged.sizes['merge-test.depressed-users']).toBe(1);
    const [member] = await main.db.sql<{ person_id: string }[]>`
      select person_id from segmentation.member where ruleset_id = 'merge-test'`;
    expect(member.person_id).toBe(A);

    expect(await merge(main.db, main.store, 'split')).toMatchObject({
      events: 1,
      attributedTo: B,
    });
    await catchUp({ sql: main.db.sql, store: main.store });
    expect(await snapshot(main.db)).toEqual(unmerged);
    const split = await segment(main.db, main.store, 'run-split');
    expect(split.sizes['merge-test.depressed-users']).toBe(0);
    // A split of persons not merged is refused.
    await expect(merge(main.db, main.store, 'split')).rejects.toMatchObject({
      detail: { field: '/merged', reason: 'not_merged' },
    });
  }, 60_000);

  it('leaves no identifier in any table', async () => {
    const needles = identifierNeedles({
      nhsNumbers: [nhsA, nhsB],
      names: [IDENTITY.given_name, IDENTITY.family_name],
      datesOfBirth: [IDENTITY.date_of_birth],
      postcodes: ['L9 2AF', 'L4 0TH'],
    });
    const dump = await dumpAllTables(main.url);
    expect(dump.length).toBeGreaterThan(1000);
    expect(findIdentifiers(dump, needles)).toEqual([]);
  });
});
