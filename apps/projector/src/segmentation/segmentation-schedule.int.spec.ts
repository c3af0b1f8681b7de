import { ConfigurationError } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import { loadRuleset } from '@linkage/segmentation';
import { createFreshDatabase, eventually } from '@linkage/testing';
import { ensureReadModel } from '../read-model/read-model.schema';
import type { SegmentationRunSummary } from './run-segmentation';
import { startScheduledSegmentation } from './segmentation-schedule';

describe('scheduled segmentation (@nestjs/schedule)', () => {
  let fresh: Awaited<ReturnType<typeof createFreshDatabase>>;
  let db: Database;
  let store: EventStore;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_segment_schedule');
    db = await openDatabase({ url: fresh.url });
    store = await openEventStore({ db });
    await ensureReadModel(db.sql);
    await db.sql`
      insert into read_model.person_profile (person_id, year_of_birth, sex, imd_decile, opted_out, doc)
      values (${'a'.repeat(32)}, 1950, 'F', 3, false, ${db.sql.json({
        personId: 'a'.repeat(32),
        yearOfBirth: 1950,
        sex: 'F',
        imdDecile: 3,
        deathDate: null,
        optedOut: false,
      })})`;
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
    await fresh?.drop();
  });

  it('runs the rulesets on the cron schedule, reports each run, and records it as scheduled', async () => {
    const runs: SegmentationRunSummary[] = [];
    const scheduled = await startScheduledSegmentation({
      sql: db.sql,
      store,
      rulesets: [loadRuleset('bridges-to-health')],
      cron: '* * * * * *', // every second
      asOf: () => '2025-03-31',
      onRun: async (run) => {
        runs.push(run);
      },
    });
    try {
      await eventually(() => (runs.length >= 2 ? runs : undefined), {
        timeoutMs: 15_000,
        what: 'two scheduled runs',
      });
    } finally {
      await scheduled.stop();
    }
    expect(runs[0]).toMatchObject({ rulesetId: 'bridges-to-health', persons: 1, assigned: 1 });
    expect(runs[0].sizes['bridges-to-health.generally-well']).toBe(1);
    // The data did not change: the later runs record nothing.
    expect(runs.slice(1).every((r) => r.assigned === 0 && r.removed === 0)).toBe(true);
    const rows = await db.sql<{ scheduled: boolean; actor: string }[]>`
      select scheduled, actor from segmentation.run`;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => r.scheduled && r.actor === 'segmentation-scheduler')).toBe(true);
  });

  it('refuses a schedule that is not a cron expression', async () => {
    await expect(
      startScheduledSegmentation({ sql: db.sql, store, rulesets: [], cron: 'every night' }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});
