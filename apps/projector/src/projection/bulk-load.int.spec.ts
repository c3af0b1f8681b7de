import {
  ingestedPopulation,
  type PipelineFixture,
} from '../../../analytics-api/src/testing/pipeline-fixture';
import { DEFERRABLE_INDEXES, DEFERRABLE_KEYS, READ_MODEL } from '../read-model/read-model.schema';
import { catchUp } from './projector';

// Every projected table; the live read model was projected batch by batch (no bulk load).
const TABLES = [
  'person_profile',
  'person_alias',
  'life_rooms',
  'record_link',
  'activity',
  'service_use_monthly',
  'condition',
  'person_merge',
];

// The indexes a bulk load builds at its end, primary keys included.
const DEFERRED = [...DEFERRABLE_INDEXES.map((i) => i.name), ...DEFERRABLE_KEYS.map((k) => k.name)];

describe('bulk load into empty read models (catchUp with bulkLoad)', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await ingestedPopulation({ cohort: 40, seed: 'bulk-load' });
  }, 300_000);
  afterAll(async () => {
    await fixture?.close();
  });

  const snapshot = (schema: string) =>
    Promise.all(
      TABLES.map((t) => fixture.db.sql.unsafe(`select * from "${schema}".${t} x order by x::text`)),
    );
  const indexesOf = async (schema: string) =>
    (
      await fixture.db.sql<{ indexname: string }[]>`
        select indexname from pg_indexes where schemaname = ${schema}`
    ).map((r) => r.indexname);
  const pendingMark = async (schema: string) =>
    (
      await fixture.db.sql.unsafe(
        `select key from "${schema}".meta where key = 'service_use_monthly_pending'`,
      )
    ).length;
  /** Monthly totals that differ from a recount of the schema's activity (none when consistent). */
  const totalsOffActivity = async (schema: string) =>
    fixture.db.sql.unsafe(`
      with recount as (
        select person_id, date_trunc('month', occurred_on)::date as month, activity,
               coalesce(cost_source, '') as cost_source, count(*)::int as events
        from "${schema}".activity group by 1, 2, 3, 4)
      select * from recount r full join "${schema}".service_use_monthly m
        using (person_id, month, activity, cost_source)
      where r.events is distinct from m.events`);

  it('gives the same read models as projecting batch by batch, with every index built', async () => {
    const live = await snapshot(READ_MODEL);
    expect(live[TABLES.indexOf('activity')].length).toBeGreaterThan(1000);
    expect(live[TABLES.indexOf('service_use_monthly')].length).toBeGreaterThan(100);
    // The indexes as another connection sees them after the first batch committed.
    const during: Promise<string[]>[] = [];
    const result = await catchUp({
      sql: fixture.db.sql,
      store: fixture.store,
      schema: 'bulk_whole',
      batchSize: 700,
      bulkLoad: true,
      onBatch: () => {
        if (during.length === 0) during.push(indexesOf('bulk_whole'));
      },
    });
    expect(result.complete).toBe(true);
    expect(during).toHaveLength(1);
    expect((await during[0]).filter((name) => DEFERRED.includes(name))).toEqual([]);
    expect(await snapshot('bulk_whole')).toEqual(live);
    expect(await indexesOf('bulk_whole')).toEqual(expect.arrayContaining(DEFERRED));
    expect(await pendingMark('bulk_whole')).toBe(0);
  }, 180_000);

  it('leaves totals and indexes consistent when it fails part-way, and resumes batch by batch', async () => {
    let batches = 0;
    await expect(
      catchUp({
        sql: fixture.db.sql,
        store: fixture.store,
        schema: 'bulk_failed',
        batchSize: 700,
        bulkLoad: true,
        onBatch: () => {
          batches += 1;
          if (batches === 2) throw new Error('stopped after two batches');
        },
      }),
    ).rejects.toThrow('stopped after two batches');
    const [{ n }] = await fixture.db.sql.unsafe(
      `select count(*)::int as n from bulk_failed.activity`,
    );
    expect(n).toBeGreaterThan(0);
    expect(await totalsOffActivity('bulk_failed')).toEqual([]);
    expect(await indexesOf('bulk_failed')).toEqual(expect.arrayContaining(DEFERRED));
    expect(await pendingMark('bulk_failed')).toBe(0);

    // Not empty any more: the rest is projected batch by batch, ending where the live one is.
    await catchUp({
      sql: fixture.db.sql,
      store: fixture.store,
      schema: 'bulk_failed',
      bulkLoad: true,
    });
    expect(await snapshot('bulk_failed')).toEqual(await snapshot(READ_MODEL));
  }, 180_000);

  it('recounts the totals a killed bulk load left pending before projecting anything else', async () => {
    await catchUp({
      sql: fixture.db.sql,
      store: fixture.store,
      schema: 'bulk_killed',
      bulkLoad: true,
    });
    // What a process killed mid-load leaves: the mark standing, totals behind the activity.
    await fixture.db.sql.unsafe(`
      insert into bulk_killed.meta (key, value) values ('service_use_monthly_pending', 'true');
      delete from bulk_killed.service_use_monthly;`);
    expect((await totalsOffActivity('bulk_killed')).length).toBeGreaterThan(0);

    const again = await catchUp({
      sql: fixture.db.sql,
      store: fixture.store,
      schema: 'bulk_killed',
    });
    expect(again.applied).toBe(0);
    expect(await totalsOffActivity('bulk_killed')).toEqual([]);
    expect(await pendingMark('bulk_killed')).toBe(0);
    expect(await snapshot('bulk_killed')).toEqual(await snapshot(READ_MODEL));
  }, 180_000);

  it('leaves read models already projected to the batch-by-batch path', async () => {
    const before = await snapshot(READ_MODEL);
    const result = await catchUp({
      sql: fixture.db.sql,
      store: fixture.store,
      bulkLoad: true,
    });
    expect(result.applied).toBe(0);
    expect(await snapshot(READ_MODEL)).toEqual(before);
    expect(await indexesOf(READ_MODEL)).toEqual(expect.arrayContaining(DEFERRED));
  }, 60_000);
});
