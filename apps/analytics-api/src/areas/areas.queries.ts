import type { Sql } from '@linkage/database';
import {
  applyPublishingGate,
  publishedValue,
  type DisclosurePolicy,
  type PublishingPolicy,
  type Statistic,
} from '@linkage/domain';
import { AnalyticsQueries, type QueryResult } from '../analytics/analytics.queries';

/** Reach is published per this many residents. */
export const REACH_PER = 1000;

/**
 * Life Rooms reach by LSOA: residents of the (generated) population, Life Rooms users among them,
 * and users per 1,000 residents. Every number passes the publishing gate: the counts as counts
 * (each column a line, for secondary suppression), the reach as a rate of the rounded counts that
 * depends on both, so it is withheld wherever either count is. People who opted out are left out.
 */
export class AreaQueries {
  private readonly analytics: AnalyticsQueries;

  /** `policy`: as for AnalyticsQueries (default: the configured publishing policy). */
  constructor(
    private readonly sql: Sql,
    policy?: PublishingPolicy | DisclosurePolicy,
    private readonly schema = 'read_model',
  ) {
    this.analytics = new AnalyticsQueries(sql, policy, schema);
  }

  async lsoaReach(): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.sql(this.schema);
    // The same policy (and provenance) as every other analytics answer.
    const provenance = await this.analytics.provenance();
    // A person is counted once however many Life Rooms subjects link to them.
    const counts = await this.sql<{ lsoa: string; residents: number; users: number }[]>`
      select p.lsoa, count(*)::int as residents,
             (count(*) filter (where exists (
               select 1 from ${s}.life_rooms l
               where l.person_id = p.person_id and l.index_date is not null)))::int as users
      from ${s}.person_profile p
      where p.lsoa is not null and not p.opted_out
      group by p.lsoa order by p.lsoa`;

    const cells: Record<string, Statistic> = {};
    for (const c of counts) {
      cells[`${c.lsoa}/residents`] = { kind: 'count', value: c.residents };
      cells[`${c.lsoa}/users`] = { kind: 'count', value: c.users };
      cells[`${c.lsoa}/reach`] = {
        kind: 'rate',
        numerator: c.users,
        numeratorKind: 'count',
        denominator: c.residents,
        denominatorKind: 'count',
        groupSize: c.residents,
        per: REACH_PER,
        dependsOn: [`${c.lsoa}/residents`, `${c.lsoa}/users`],
      };
    }
    cells['total/residents'] = { kind: 'count', value: sum(counts.map((c) => c.residents)) };
    cells['total/users'] = { kind: 'count', value: sum(counts.map((c) => c.users)) };
    const gated = applyPublishingGate(
      {
        cells,
        lines: [
          counts.map((c) => `${c.lsoa}/residents`),
          counts.map((c) => `${c.lsoa}/users`),
        ].filter((line) => line.length > 1),
      },
      provenance.publishingPolicy,
    );
    const value = (cell: string) => publishedValue(gated, cell);
    const rows = counts.map((c) => ({
      lsoa: c.lsoa,
      residents: value(`${c.lsoa}/residents`),
      users: value(`${c.lsoa}/users`),
      reachPer1000: value(`${c.lsoa}/reach`),
    }));
    const cellsSuppressed = gated.suppressed.length;
    return {
      body: {
        areas: rows,
        totalResidents: value('total/residents'),
        totalUsers: value('total/users'),
        cellsSuppressed,
        // Which cells the gate withheld and by which rule (never their values).
        suppressed: gated.suppressed,
        provenance,
      },
      rows: rows.map((r) => ({
        lsoa: r.lsoa,
        residents: r.residents,
        users: r.users,
        reach_per_1000: r.reachPer1000,
      })),
      cellsSuppressed,
      suppressed: gated.suppressed,
      released: gated.released,
    };
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
