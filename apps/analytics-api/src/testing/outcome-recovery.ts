import type { Measure } from '@linkage/synthetic';
import { AnalyticsQueries } from '../analytics/analytics.queries';
import { ingestedPopulation, type PipelineFixture } from './pipeline-fixture';

/**
 * generate -> ingest -> project -> match -> outcomes: the planted effects come back.
 * The manifest's true effect is a reduction in events per person-year (without - with); the
 * difference in differences measures the change, so it should be close to minus the truth.
 */
export function describeOutcomeRecovery(
  seed: string,
  effects: Partial<Record<Measure, number>>,
): void {
  describe(`outcome recovery (seed ${seed}, effects ${JSON.stringify(effects)})`, () => {
    let fixture: PipelineFixture;
    let queries: AnalyticsQueries;

    beforeAll(async () => {
      // 7 non-users per user over 3 years: enough controls for heavy users at k = 3, and about
      // as many records as the default 5 per user over 4 years.
      fixture = await ingestedPopulation({
        cohort: 1500,
        persons: 12_000,
        years: 3,
        seed,
        effects,
      });
      queries = new AnalyticsQueries(fixture.db.sql);
    }, 240_000);
    afterAll(async () => {
      await fixture?.close();
    });

    // One population of 1,500 users: the estimate's standard error is about a third of these
    // effects, so "within 20%" would be a band of half a standard error that one draw misses
    // more often than not (it did once matching stopped depending on the pseudonyms). Closeness
    // is shown where it can be: within 15% on the demo's 6,000 users and as the mean relative
    // bias over many seeds (docs/VALIDITY.md). Here: the interval covers the truth, and the
    // estimate is not grossly off (a design with regression to the mean or a dropped-heavy-users
    // caliper missed by 70% or more).
    it.each(['crisis', 'ae'] as const)(
      'recovers the %s effect within 50%% and the 95%% CI covers it',
      async (measure) => {
        const truth = -fixture.manifest.effects[measure]!.trueEffect;
        const { body } = await queries.outcomes(measure);
        const did = body.did as number;
        const [low, high] = body.ci95 as [number, number];
        expect(Math.abs(did - truth)).toBeLessThanOrEqual(0.5 * Math.abs(truth));
        expect(low).toBeLessThanOrEqual(truth);
        expect(high).toBeGreaterThanOrEqual(truth);
      },
    );

    it.each(['gp', 'nhs111', 'elective_admission'] as const)(
      'finds no %s effect where none was planted: the 95%% CI covers zero',
      async (measure) => {
        const { body } = await queries.outcomes(measure);
        const [low, high] = body.ci95 as [number, number];
        expect(low).toBeLessThanOrEqual(0);
        expect(high).toBeGreaterThanOrEqual(0);
      },
    );

    it('balances every covariate after matching (published |SMD| <= 0.1)', async () => {
      const { body } = await queries.balance();
      const covariates = body.covariates as Array<{ covariate: string; smdAfter: number }>;
      expect(covariates.length).toBeGreaterThan(0);
      for (const c of covariates) {
        // Published to 2 decimals by the publishing gate: 0.1 is an exact SMD below 0.105.
        expect([c.covariate, Math.abs(c.smdAfter) <= 0.1]).toEqual([c.covariate, true]);
      }
    });
  });
}
