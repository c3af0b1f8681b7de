import type { Sql } from '@linkage/database';
import {
  publishedValue,
  type ReleasedPopulation,
  type DisclosurePolicy,
  type PublishingPolicy,
  type Statistic,
} from '@linkage/domain';
import { population } from '../analytics/analytics.publications';
import { AnalyticsQueries, type Audience, type QueryResult } from '../analytics/analytics.queries';

/** The SWEMWBS metric scale runs from 7 to 35. */
export const SWEMWBS_METRIC_MIN = 7;
export const SWEMWBS_METRIC_MAX = 35;
/** Bin width in metric points: 14 bins, fine enough to see a shift, coarse enough to publish. */
export const SWEMWBS_BIN_WIDTH = 2;

export const WELLBEING_TIMINGS = ['baseline', 'follow_up'] as const;
export type WellbeingTiming = (typeof WELLBEING_TIMINGS)[number];

export interface ScoreBin {
  /** Inclusive lower bound. */
  from: number;
  /** Exclusive upper bound, except the last bin, which includes the top of the scale. */
  to: number;
  label: string;
}

/** The published bins: `[7, 9)`, `[9, 11)`, ... `[33, 35]`. */
export function swemwbsBins(): ScoreBin[] {
  const bins: ScoreBin[] = [];
  for (let from = SWEMWBS_METRIC_MIN; from < SWEMWBS_METRIC_MAX; from += SWEMWBS_BIN_WIDTH) {
    const to = Math.min(from + SWEMWBS_BIN_WIDTH, SWEMWBS_METRIC_MAX);
    bins.push({ from, to, label: `${from}-${to}` });
  }
  return bins;
}

/** The bin a metric score falls in (index), or -1 off the scale (never expected; not counted). */
export function binOf(score: number, bins: readonly ScoreBin[]): number {
  if (!(score >= SWEMWBS_METRIC_MIN && score <= SWEMWBS_METRIC_MAX)) return -1;
  const last = bins.length - 1;
  return bins.findIndex((b, i) => score >= b.from && (score < b.to || i === last));
}

/**
 * SWEMWBS metric score distributions at baseline (everyone with a baseline) and follow-up
 * (everyone with a follow-up), binned. Every bin is a count through the publishing gate; each
 * distribution is a line (its bins add up to a published total), so one small bin never stands
 * alone. Each bin's people are a population in the caller's released-cell ledger, as for the
 * cohort counts. People who opted out are left out.
 */
export class WellbeingDistributionQueries {
  private readonly analytics: AnalyticsQueries;

  /**
   * `analytics`: the app's queries, whose `gate` checks and writes the caller's released-cell
   * ledger (a standalone instance, without a ledger, is made from `sql` for tests and the CLI).
   */
  constructor(
    private readonly sql: Sql,
    analytics?: AnalyticsQueries | PublishingPolicy | DisclosurePolicy,
    private readonly schema = 'read_model',
  ) {
    this.analytics =
      analytics instanceof AnalyticsQueries
        ? analytics
        : new AnalyticsQueries(sql, analytics, schema);
  }

  async distributions(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.sql(this.schema);
    const provenance = await this.analytics.provenance();
    // One row per person: a person with several Life Rooms subjects has one score per timing.
    const scores = await this.sql<
      { person_id: string; baseline: number | null; follow_up: number | null }[]
    >`
      select l.person_id, max(l.wellbeing_baseline) as baseline,
             max(l.wellbeing_follow_up) as follow_up
      from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and not coalesce(p.opted_out, false)
        and (l.wellbeing_baseline is not null or l.wellbeing_follow_up is not null)
      group by l.person_id`;
    const bins = swemwbsBins();
    // The people in each bin: each bin is a population in the released-cell ledger, so two
    // answers over slightly different people cannot be differenced to recover a small bin.
    const members: Record<WellbeingTiming, string[][]> = {
      baseline: bins.map(() => []),
      follow_up: bins.map(() => []),
    };
    for (const row of scores) {
      if (row.baseline !== null) {
        const i = binOf(Number(row.baseline), bins);
        if (i >= 0) members.baseline[i].push(row.person_id);
      }
      if (row.follow_up !== null) {
        const i = binOf(Number(row.follow_up), bins);
        if (i >= 0) members.follow_up[i].push(row.person_id);
      }
    }
    const cell = (timing: WellbeingTiming, bin: ScoreBin) => `${timing}/${bin.label}`;
    const cells: Record<string, Statistic> = {};
    const populations: Record<string, ReleasedPopulation> = {};
    for (const timing of WELLBEING_TIMINGS) {
      bins.forEach((bin, i) => {
        const key = cell(timing, bin);
        cells[key] = { kind: 'count', value: members[timing][i].length, population: key };
        populations[key] = population(`swemwbs:${key}`, members[timing][i]);
      });
    }
    const gated = await this.analytics.gate(
      {
        cells,
        lines: WELLBEING_TIMINGS.map((timing) => bins.map((bin) => cell(timing, bin))),
        populations,
      },
      audience,
    );
    const people = (timing: WellbeingTiming, bin: ScoreBin) =>
      publishedValue(gated, cell(timing, bin));
    const distribution = (timing: WellbeingTiming) =>
      bins.map((bin) => ({
        from: bin.from,
        to: bin.to,
        bin: bin.label,
        people: people(timing, bin),
      }));
    const cellsSuppressed = gated.suppressed.length;
    return {
      body: {
        instrument: 'swemwbs',
        scale: 'metric',
        binWidth: SWEMWBS_BIN_WIDTH,
        baseline: distribution('baseline'),
        followUp: distribution('follow_up'),
        cellsSuppressed,
        // Which cells the gate withheld and by which rule (never their values).
        suppressed: gated.suppressed,
        provenance,
      },
      rows: WELLBEING_TIMINGS.flatMap((timing) =>
        bins.map((bin) => ({
          timing,
          bin: bin.label,
          from: bin.from,
          to: bin.to,
          people: people(timing, bin),
        })),
      ),
      cellsSuppressed,
      suppressed: gated.suppressed,
      released: gated.released,
    };
  }
}
