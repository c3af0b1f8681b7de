import { ingestedPopulation, type PipelineFixture } from '../testing/pipeline-fixture';
import { AnalyticsQueries } from './analytics.queries';
import { linkageSensitivity } from './linkage-sensitivity';

/**
 * The headline estimate re-run at other linkage thresholds: at the live threshold it reproduces
 * the published headline exactly; at a threshold nothing reaches, only the records with an NHS
 * number (and clerical decisions) count, so the cohort cannot grow. Every number is gated. (In
 * the generator's population walk-ins also have records with their NHS number, so the estimate
 * barely moves here; the unit tests show the cohort and index dates moving.)
 */
describe('linkage sensitivity of the headline estimate', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await ingestedPopulation({ cohort: 300, persons: 2400, years: 3, seed: 'sens-1' });
  }, 240_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('reproduces the headline at the live threshold; with fewer links the cohort cannot grow', async () => {
    const live = (await new AnalyticsQueries(fixture.db.sql).outcomes('crisis')).body;
    const result = await linkageSensitivity(fixture.db.sql, {
      measure: 'crisis',
      thresholds: [10, 1000],
    });
    expect(result.estimates.map((e) => e.threshold)).toEqual([10, 1000]);
    const [atLive, atNone] = result.estimates.map((e) => e.estimate);
    expect(typeof live.did).toBe('number');
    expect(atLive.did).toBe(live.did);
    expect(atLive.ci95).toEqual(live.ci95);
    expect(atLive.nUsers).toBe(live.nUsers);
    // Walk-ins who are someone's only Life Rooms contact drop out of the cohort.
    const walkIns = await fixture.db.sql<{ n: number }[]>`
      select count(*)::int as n from linkage.record_links where status = 'linked'`;
    expect(walkIns[0].n).toBeGreaterThan(0);
    expect(atNone.nUsers as number).toBeLessThanOrEqual(atLive.nUsers as number);
    expect(typeof atNone.did).toBe('number');
  }, 120_000);

  it('publishes nothing person-level: no pseudonym in the result', async () => {
    const result = await linkageSensitivity(fixture.db.sql, { measure: 'ae', thresholds: [6] });
    const text = JSON.stringify(result);
    const people = await fixture.db.sql<{ person_id: string }[]>`
      select person_id from read_model.person_profile limit 50`;
    expect(people).toHaveLength(50);
    for (const p of people) expect(text).not.toContain(p.person_id);
    expect(result.estimates[0].estimate).toMatchObject({
      measure: 'ae',
      nUsers: expect.any(Number),
    });
  }, 120_000);
});
