import type { Sql } from '@linkage/database';
import { controlTable, DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from '@linkage/domain';
import { AnalyticsQueries, type QueryResult } from '../analytics/analytics.queries';

/** Reach is published per this many residents. */
export const REACH_PER = 1000;

/**
 * Life Rooms reach by LSOA: residents of the (generated) population, Life Rooms users among them,
 * and users per 1,000 residents. Both counts pass disclosure control as one table (primary and
 * secondary suppression, rounding); the reach is published only where both counts are, and is
 * computed from the raw counts (like every rate), rounded to one decimal. People who opted out are
 * left out of both counts.
 */
export class AreaQueries {
  private readonly analytics: AnalyticsQueries;

  constructor(
    private readonly sql: Sql,
    private readonly policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
    private readonly schema = 'read_model',
  ) {
    this.analytics = new AnalyticsQueries(sql, policy, schema);
  }

  async lsoaReach(): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.sql(this.schema);
    // A person is counted once however many Life Rooms subjects link to them.
    const counts = await this.sql<{ lsoa: string; residents: number; users: number }[]>`
      select p.lsoa, count(*)::int as residents,
             (count(*) filter (where exists (
               select 1 from ${s}.life_rooms l
               where l.person_id = p.person_id and l.index_date is not null)))::int as users
      from ${s}.person_profile p
      where p.lsoa is not null and not p.opted_out
      group by p.lsoa order by p.lsoa`;
    const table = controlTable(
      counts.map((c) => [c.residents, c.users]),
      this.policy,
    );
    const rows = counts.map((c, i) => {
      const [residents, users] = table.cells[i];
      const reach =
        residents === null || users === null || c.residents === 0
          ? null
          : Math.round((c.users / c.residents) * REACH_PER * 10) / 10;
      return { lsoa: c.lsoa, residents, users, reachPer1000: reach };
    });
    const provenance = await this.analytics.provenance();
    return {
      body: {
        areas: rows,
        totalResidents: table.columnTotals[0] ?? 0,
        totalUsers: table.columnTotals[1] ?? 0,
        cellsSuppressed: table.cellsSuppressed,
        provenance,
      },
      rows: rows.map((r) => ({
        lsoa: r.lsoa,
        residents: r.residents,
        users: r.users,
        reach_per_1000: r.reachPer1000,
      })),
      cellsSuppressed: table.cellsSuppressed,
    };
  }
}
