import { randomUUID } from 'node:crypto';
import { ReleasedCellLedger } from '@linkage/governance';
import { catchUp } from '../../../projector/src';
import { ingestedPopulation, type PipelineFixture } from '../testing/pipeline-fixture';
import { openAnalyticsQueryBus } from './analytics-query-bus';
import { AnalyticsQueries, type QueryResult } from './analytics.queries';
import { BalanceQuery } from './balance.query';
import { BreakdownQuery } from './breakdown.query';
import { CohortQuery } from './cohort.query';
import { EventStudyQuery } from './event-study.query';
import { OutcomesQuery } from './outcomes.query';
import { WellbeingQuery } from './wellbeing.query';

type Ask = (q: AnalyticsQueries) => Promise<QueryResult<Record<string, unknown>>>;

/**
 * The analytics answers are computed once per read-model version and shared between askers
 * (read-model-version-cache.ts). These tests hold the cached path to the path that computes every
 * answer afresh, on a small generated population run through the real pipeline.
 */
describe('analytics computations cached per read-model version', () => {
  let fixture: PipelineFixture;
  let cached: AnalyticsQueries;
  let afresh: AnalyticsQueries;
  let someUsers: string[];

  beforeAll(async () => {
    fixture = await ingestedPopulation({ cohort: 150, persons: 900, years: 3, seed: 'cache-a' });
    cached = new AnalyticsQueries(fixture.db.sql);
    afresh = new AnalyticsQueries(fixture.db.sql, undefined, undefined, undefined, {
      cacheComputations: false,
    });
    const users = await fixture.db.sql<{ user_id: string }[]>`
      select distinct user_id from read_model.matched_pair order by user_id`;
    someUsers = users.filter((_, i) => i % 2 === 0).map((u) => u.user_id);
  }, 400_000); // generate, ingest, project and match on a loaded machine
  afterAll(async () => {
    await fixture?.close();
  });

  const routes: Array<[string, Ask]> = [
    ['cohort', (q) => q.cohort()],
    ['outcomes crisis', (q) => q.outcomes('crisis')],
    ['outcomes cost', (q) => q.outcomes('cost')],
    ['outcomes ae, 24 months before, 6 after', (q) => q.outcomes('ae', 24, 6)],
    [
      'outcomes crisis among some users',
      (q) => q.outcomes('crisis', 12, 12, undefined, 3, someUsers),
    ],
    ['event study ae', (q) => q.eventStudy('ae')],
    ['breakdown lsoa ae', (q) => q.breakdown('lsoa', 'ae')],
    ['breakdown imd-decile cost', (q) => q.breakdown('imd-decile', 'cost')],
    ['wellbeing', (q) => q.wellbeing()],
    ['balance', (q) => q.balance()],
  ];

  it.each(routes)(
    '%s: the answer computed once and the answer served again equal the one computed afresh',
    async (_route, ask) => {
      const first = await ask(cached);
      const again = await ask(cached);
      const direct = await ask(afresh);
      expect(first.body).toEqual(direct.body);
      expect(again.body).toEqual(direct.body);
      expect(again.rows).toEqual(direct.rows);
      expect(again.suppressed).toEqual(direct.suppressed);
    },
  );

  it('keeps the subset lens apart from the whole cohort, whatever the order of its users', async () => {
    const all = await cached.outcomes('crisis');
    const some = await cached.outcomes('crisis', 12, 12, undefined, 3, someUsers);
    const reordered = await cached.outcomes(
      'crisis',
      12,
      12,
      undefined,
      3,
      [...someUsers].reverse(),
    );
    expect(some.body.nUsers).not.toEqual(all.body.nUsers);
    expect(reordered.body).toEqual(some.body);
  });

  it('computes an estimate once for concurrent and repeated askers at one version', async () => {
    const q = new AnalyticsQueries(fixture.db.sql);
    // Count the estimate's computations: the cache calls `compute` only when it has no answer.
    const computed: string[] = [];
    const once = q.once.bind(q);
    jest.spyOn(q, 'once').mockImplementation((version, key, compute) =>
      once(version, key, () => {
        computed.push(key);
        return compute();
      }),
    );
    const outcomesComputed = () => computed.filter((key) => key.startsWith('outcomes:')).length;
    const answers = await Promise.all([q.outcomes('gp'), q.outcomes('gp'), q.outcomes('gp')]);
    await q.outcomes('gp');
    expect(outcomesComputed()).toBe(1);
    expect(answers[1].body).toEqual(answers[0].body);
    await q.outcomes('gp', 24);
    expect(outcomesComputed()).toBe(2);
  });

  it('still gates every request against the asking DSA: a served answer is recorded in that DSA ledger', async () => {
    const ledger = new ReleasedCellLedger(fixture.db.sql);
    const q = new AnalyticsQueries(fixture.db.sql, undefined, undefined, ledger);
    const [a, b] = [`DSA-A-${randomUUID()}`, `DSA-B-${randomUUID()}`];
    const forA = await q.outcomes('ae', 12, 12, { dsa: a, output: 'GET /v1/outcomes?measure=ae' });
    const forB = await q.outcomes('ae', 12, 12, { dsa: b, output: 'GET /v1/outcomes?measure=ae' });
    expect(forB.body).toEqual(forA.body);
    expect(forA.released.length).toBeGreaterThan(0);
    expect(await ledger.history(a)).toHaveLength(1);
    expect(await ledger.history(b)).toHaveLength(1);
  });

  it('answers from the new read models once the projection moves (an opt-out), as afresh', async () => {
    const exact = { threshold: 0, rounding: 1 };
    const q = new AnalyticsQueries(fixture.db.sql, exact);
    const direct = new AnalyticsQueries(fixture.db.sql, exact, undefined, undefined, {
      cacheComputations: false,
    });
    const sizeBefore = (await q.cohort()).body.size as number;
    const outcomesBefore = await q.outcomes('crisis');
    const [{ person_id: optedOut }] = await fixture.db.sql<{ person_id: string }[]>`
      select l.person_id from read_model.life_rooms l
      join read_model.matched_pair m on m.user_id = l.person_id
      order by l.person_id limit 1`;
    const at = '2030-01-01T00:00:00Z';
    await fixture.store.appendToStream(`opt-out-${randomUUID()}`, [
      {
        eventId: randomUUID(),
        type: 'OptOutRecorded',
        schemaVersion: 1,
        data: {
          occurredAt: at,
          source: 'cipha',
          personId: optedOut,
          optOutType: 'national_data_opt_out',
        },
        metadata: { receivedAt: at },
      },
    ]);
    await catchUp({ sql: fixture.db.sql, store: fixture.store });

    const sizeAfter = (await q.cohort()).body.size as number;
    expect(sizeAfter).toBe(sizeBefore - 1);
    expect(sizeAfter).toBe((await direct.cohort()).body.size);
    const outcomesAfter = await q.outcomes('crisis');
    const provenanceOf = (r: QueryResult<Record<string, unknown>>) =>
      r.body.provenance as { eventStorePosition: string };
    expect(provenanceOf(outcomesAfter).eventStorePosition).not.toBe(
      provenanceOf(outcomesBefore).eventStorePosition,
    );
    expect(outcomesAfter.body).toEqual((await direct.outcomes('crisis')).body);
  });

  it('answers through the QueryBus (as the API and the CLI ask) exactly what the handlers answer directly', async () => {
    const { queries: bus, close } = await openAnalyticsQueryBus(
      new AnalyticsQueries(fixture.db.sql),
    );
    try {
      const asked: Array<[string, Promise<QueryResult<Record<string, unknown>>>, Ask]> = [
        ['cohort', bus.execute(new CohortQuery()), (q) => q.cohort()],
        [
          'outcomes ae 24/6 washout 6',
          bus.execute(new OutcomesQuery('ae', { before: 24, after: 6, washout: 6 })),
          (q) => q.outcomes('ae', 24, 6, undefined, 6),
        ],
        ['event study gp', bus.execute(new EventStudyQuery('gp')), (q) => q.eventStudy('gp')],
        [
          'breakdown site crisis',
          bus.execute(new BreakdownQuery('site', 'crisis')),
          (q) => q.breakdown('site', 'crisis'),
        ],
        ['wellbeing', bus.execute(new WellbeingQuery()), (q) => q.wellbeing()],
        ['balance', bus.execute(new BalanceQuery()), (q) => q.balance()],
      ];
      for (const [name, viaBus, direct] of asked) {
        const [a, b] = [await viaBus, await direct(afresh)];
        expect([name, a.body, a.rows]).toEqual([name, b.body, b.rows]);
      }
      await expect(bus.execute(new OutcomesQuery('ae', { before: 7 }))).rejects.toMatchObject({
        detail: { field: '/before', reason: 'window_not_on_grid' },
      });
    } finally {
      await close();
    }
  });
});
