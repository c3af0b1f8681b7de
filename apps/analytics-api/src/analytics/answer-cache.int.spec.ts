import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { ensureReadModel } from '../../../projector/src';
import { AnalyticsQueries } from './analytics.queries';
import { CachedAnalyticsQueries } from './answer-cache';

describe('CachedAnalyticsQueries', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_cache');
    db = await openDatabase({ url: fresh.url, max: 4 });
    await ensureReadModel(db.sql);
  });
  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });
  afterEach(() => jest.restoreAllMocks());

  const moveCheckpoint = (position: string) => db.sql`
    insert into read_model.checkpoint (projection, position) values ('read-models', ${position})
    on conflict (projection) do update set position = excluded.position`;

  it('answers the same question at the same data version from one computation', async () => {
    const queries = new CachedAnalyticsQueries(db.sql);
    const compute = jest.spyOn(AnalyticsQueries.prototype, 'cohort');
    const [a, b, c] = await Promise.all([queries.cohort(), queries.cohort(), queries.cohort()]);
    const d = await queries.cohort();
    expect(compute).toHaveBeenCalledTimes(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(d).toBe(a);
  });

  it('computes afresh once the read models move on (a projected event, an opt-out)', async () => {
    const queries = new CachedAnalyticsQueries(db.sql);
    const compute = jest.spyOn(AnalyticsQueries.prototype, 'wellbeing');
    await moveCheckpoint('1:1');
    const before = await queries.wellbeing();
    await moveCheckpoint('1:2');
    const after = await queries.wellbeing();
    expect(compute).toHaveBeenCalledTimes(2);
    expect(after).not.toBe(before);
    expect(after.body.provenance.eventStorePosition).toBe('1:2');
    expect(before.body.provenance.eventStorePosition).toBe('1:1');
  });

  it('keeps different parameters apart', async () => {
    const queries = new CachedAnalyticsQueries(db.sql);
    const ae = await queries.breakdown('site', 'ae');
    const gp = await queries.breakdown('site', 'gp');
    expect(gp).not.toBe(ae);
    expect(await queries.breakdown('site', 'ae')).toBe(ae);
  });

  it('does not remember a failed computation', async () => {
    const queries = new CachedAnalyticsQueries(db.sql);
    jest
      .spyOn(AnalyticsQueries.prototype, 'balance')
      .mockRejectedValueOnce(new Error('database went away'));
    await expect(queries.balance()).rejects.toThrow('database went away');
    const answer = await queries.balance();
    expect(answer.body.provenance).toBeDefined();
  });
});
