import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditTrail, auditOptOutProcessed, OPT_OUT_PROCESSED_ACTION } from '@linkage/governance';
import { openDatabase, type Database } from '@linkage/database';
import { PostgresqlEventStore } from '@linkage/event-store';
import {
  canonicalEvent,
  createFreshDatabase,
  LIVERPOOL_L9,
  personRegistered,
  testPersonId,
} from '@linkage/testing';
import { catchUp, rebuildReadModels, runMatching } from '../../../projector/src';
import { AnalyticsQueries } from './analytics.queries';

const person = testPersonId;
const ev = canonicalEvent;
const registered = (p: string) => personRegistered(p, LIVERPOOL_L9, '2020-01-01T00:00:00Z');

describe('National Data Opt-out in analytic outputs', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;
  // Exact counts (no suppression, no rounding) so that one person is visible in the test.
  const exact = () => new AnalyticsQueries(db.sql, { threshold: 0, rounding: 1 });
  const cohortSize = async () => (await exact().cohort()).body.size;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_optout');
    db = await openDatabase({ url: fresh.url });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
    const batches = [1, 2].map((n) => ({
      streamId: `person-${person(n)}`,
      events: [
        registered(person(n)),
        ev('VisitRecorded', '2022-03-01T10:00:00Z', {
          source: 'liferooms',
          personId: person(n),
          linkKey: null,
          site: 'walton',
          purpose: 'social',
        }),
      ],
    }));
    await store.appendMany(batches);
    await catchUp({ sql: db.sql, store });
  });
  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  it('leaves an opted-out person out from then on, also after a rebuild; a withdrawal brings them back', async () => {
    expect(await cohortSize()).toBe(2);
    await store.appendToStream(`person-${person(1)}`, [
      ev('OptOutRecorded', '2023-01-01T00:00:00Z', {
        personId: person(1),
        optOutType: 'national_data_opt_out',
      }),
    ]);
    await catchUp({ sql: db.sql, store });
    expect(await cohortSize()).toBe(1);
    await rebuildReadModels({ sql: db.sql, store });
    expect(await cohortSize()).toBe(1);
    const matching = await runMatching(db.sql);
    expect(matching.users).toBe(1);

    await store.appendToStream(`person-${person(1)}`, [
      ev('OptOutWithdrawn', '2023-06-01T00:00:00Z', {
        personId: person(1),
        optOutType: 'national_data_opt_out',
      }),
    ]);
    await catchUp({ sql: db.sql, store });
    expect(await cohortSize()).toBe(2);
  });

  it('audits the processing of opt-outs: counts only, never a pseudonym', async () => {
    const audit = await AuditTrail.open(db.sql, {
      headFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-optout-')), 'head.json'),
    });
    await store.appendToStream(`person-${person(2)}`, [
      ev('OptOutRecorded', '2024-01-01T00:00:00Z', {
        personId: person(2),
        optOutType: 'national_data_opt_out',
      }),
    ]);
    await catchUp({
      sql: db.sql,
      store,
      onOptOutsProcessed: async (c) => {
        await auditOptOutProcessed(audit, {
          optOutsRecorded: c.recorded,
          optOutsWithdrawn: c.withdrawn,
        });
      },
    });
    const { entries } = await audit.search(
      { action: OPT_OUT_PROCESSED_ACTION },
      { page: 1, pageSize: 10 },
    );
    expect(entries).toHaveLength(1);
    expect(entries[0].parameters).toEqual({ optOutsRecorded: 1, optOutsWithdrawn: 0 });
    expect(JSON.stringify(entries)).not.toContain(person(2));
    expect((await audit.verify()).intact).toBe(true);
  });
});
