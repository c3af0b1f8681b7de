import type { Sql } from '@linkage/database';
import {
  applyPublishingGate,
  publishedValue,
  type DisclosurePolicy,
  type PublishingPolicy,
  type Statistic,
} from '@linkage/domain';
import { AnalyticsQueries, type QueryResult } from '../analytics/analytics.queries';

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

/** Raw counts per bin for each timing, as the query computed them (before the gate). */
export interface WellbeingDistributionData {
  baseline: number[];
  followUp: number[];
}

/**
 * SWEMWBS metric score distributions at baseline (everyone with a baseline) and follow-up
 * (everyone with a follow-up), binned. Every bin is a count through the publishing gate; each
 * distribution is a line (its bins add up to a published total), so one small bin never stands
 * alone. Counts only: no population goes to the released-cell ledger, as for the cohort counts.
 * People who opted out are left out.
 */
export class WellbeingDistributionQueries {
  private readonly analytics: AnalyticsQueries;

  constructor(
    private readonly sql: Sql,
    policy?: PublishingPolicy | DisclosurePolicy,
    private readonly schema = 'read_model',
  ) {
    this.analytics = new AnalyticsQueries(sql, policy, schema);
  }

  async distributions(): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.sql(this.schema);
    const provenance = await this.analytics.provenance();
    // One row per person: a person with several Life Rooms subjects has one score per timing.
    const scores = await this.sql<{ baseline: number | null; follow_up: number | null }[]>`
      select max(l.wellbeing_baseline) as baseline, max(l.wellbeing_follow_up) as follow_up
      from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and not coalesce(p.opted_out, false)
        and (l.wellbeing_baseline is not null or l.wellbeing_follow_up is not null)
      group by l.person_id`;
    const bins = swemwbsBins();
    const data: WellbeingDistributionData = {
      baseline: bins.map(() => 0),
      followUp: bins.map(() => 0),
    };
    for (const row of scores) {
      if (row.baseline !== null) {
        const i = binOf(Number(row.baseline), bins);
        if (i >= 0) data.baseline[i]++;
      }
      if (row.follow_up !== null) {
        const i = binOf(Number(row.follow_up), bins);
        if (i >= 0) data.followUp[i]++;
      }
    }
    const cell = (timing: WellbeingTiming, bin: ScoreBin) => `${timing}/${bin.label}`;
    const cells: Record<string, Statistic> = {};
    bins.forEach((bin, i) => {
      cells[cell('baseline', bin)] = { kind: 'count', value: data.baseline[i] };
      cells[cell('follow_up', bin)] = { kind: 'count', value: data.followUp[i] };
    });
    const gated = applyPublishingGate(
      {
        cells,
        lines: WELLBEING_TIMINGS.map((timing) => bins.map((bin) => cell(timing, bin))),
      },
      provenance.publishingPolicy,
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
