import type { Sql } from '@linkage/database';
import {
  publishedValue,
  type DisclosurePolicy,
  type PublishingPolicy,
  type ReleasedPopulation,
  type Statistic,
} from '@linkage/domain';
import { AnalyticsQueries, type Audience, type QueryResult } from '../analytics/analytics.queries';
import { population } from '../analytics/analytics.publications';

/** Reach is published per this many residents. */
export const REACH_PER = 1000;

/**
 * Life Rooms reach by LSOA: residents of the (generated) population, Life Rooms users among them,
 * and users per 1,000 residents. Every number passes the publishing gate: the counts as counts
 * (each column a line, for secondary suppression), the reach as a rate of the rounded counts that
 * depends on both, so it is withheld wherever either count is. People who opted out are left out.
 * Each LSOA's residents and users are populations in the DSA's released-cell ledger: an LSOA
 * whose users (or residents) differ by 1 to 7 people from a set this DSA was given before (an
 * earlier answer before new data, the same LSOA in a breakdown, a segment's users) is withheld.
 */
export class AreaQueries {
  private readonly analytics: AnalyticsQueries;

  /**
   * `gate`: the analytics queries whose gate and ledger these answers pass (the API passes its
   * own); or a policy, for a gate without a ledger (tests of the numbers alone).
   */
  constructor(
    private readonly sql: Sql,
    gate?: AnalyticsQueries | PublishingPolicy | DisclosurePolicy,
    private readonly schema = 'read_model',
  ) {
    this.analytics =
      gate instanceof AnalyticsQueries ? gate : new AnalyticsQueries(sql, gate, schema);
  }

  async lsoaReach(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.sql(this.schema);
    // The same policy (and provenance) as every other analytics answer.
    const provenance = await this.analytics.provenance();
    // A person is counted once however many Life Rooms subjects link to them.
    const people = await this.sql<{ lsoa: string; person_id: string; user: boolean }[]>`
      select p.lsoa, p.person_id,
             exists (select 1 from ${s}.life_rooms l
                     where l.person_id = p.person_id and l.index_date is not null) as user
      from ${s}.person_profile p
      where p.lsoa is not null and not p.opted_out
      order by p.lsoa`;
    const byLsoa = new Map<string, { residents: string[]; users: string[] }>();
    for (const p of people) {
      const area = byLsoa.get(p.lsoa) ?? { residents: [], users: [] };
      area.residents.push(p.person_id);
      if (p.user) area.users.push(p.person_id);
      byLsoa.set(p.lsoa, area);
    }
    const counts = [...byLsoa].map(([lsoa, a]) => ({
      lsoa,
      residents: a.residents.length,
      users: a.users.length,
    }));
    const populations: Record<string, ReleasedPopulation> = {};
    for (const [lsoa, a] of byLsoa) {
      populations[`${lsoa}/residents`] = population(`lsoa:${lsoa}:residents`, a.residents);
      populations[`${lsoa}/users`] = population(`lsoa:${lsoa}:life-rooms-users`, a.users);
    }
    populations['total/residents'] = population(
      'lsoa-residents',
      people.map((p) => p.person_id),
    );
    populations['total/users'] = population(
      'life-rooms-users-with-lsoa',
      people.filter((p) => p.user).map((p) => p.person_id),
    );
    const cells: Record<string, Statistic> = {};
    for (const c of counts) {
      cells[`${c.lsoa}/residents`] = {
        kind: 'count',
        value: c.residents,
        population: `${c.lsoa}/residents`,
      };
      cells[`${c.lsoa}/users`] = { kind: 'count', value: c.users, population: `${c.lsoa}/users` };
      cells[`${c.lsoa}/reach`] = {
        kind: 'rate',
        numerator: c.users,
        numeratorKind: 'count',
        denominator: c.residents,
        denominatorKind: 'count',
        groupSize: c.residents,
        per: REACH_PER,
        population: `${c.lsoa}/users`,
        dependsOn: [`${c.lsoa}/residents`, `${c.lsoa}/users`],
      };
    }
    cells['total/residents'] = {
      kind: 'count',
      value: sum(counts.map((c) => c.residents)),
      population: 'total/residents',
    };
    cells['total/users'] = {
      kind: 'count',
      value: sum(counts.map((c) => c.users)),
      population: 'total/users',
    };
    const gated = await this.analytics.gate(
      {
        cells,
        lines: [
          counts.map((c) => `${c.lsoa}/residents`),
          counts.map((c) => `${c.lsoa}/users`),
        ].filter((line) => line.length > 1),
        populations,
      },
      audience,
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
