import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Sql } from '@linkage/database';
import { MEASURE_ACTIVITY, type OutcomeMeasure } from '@linkage/domain';
import {
  breakdownPublication,
  type BreakdownData,
  type Publication,
} from './analytics.publications';
import type { AnalyticsQueries, Audience, QueryResult } from './analytics.queries';
import {
  ANALYTICS_QUERIES,
  assertOnWindowGrid,
  DAYS_PER_YEAR,
  MEASURE_UNITS,
  type BreakdownDimension,
} from './analytics-query-support';

/**
 * Cohort users by one fixed dimension, with the measure's rate in the months after the index
 * date (`GET /v1/breakdowns/:dimension`; 12 months unless told otherwise, on the grid).
 */
export class BreakdownQuery extends Query<QueryResult<Record<string, unknown>>> {
  constructor(
    readonly dimension: BreakdownDimension,
    readonly measure: OutcomeMeasure,
    readonly after = 12,
    readonly audience?: Audience,
  ) {
    super();
  }
}

@QueryHandler(BreakdownQuery)
export class BreakdownQueryHandler implements IQueryHandler<BreakdownQuery> {
  constructor(@Inject(ANALYTICS_QUERIES) private readonly queries: AnalyticsQueries) {}

  execute(query: BreakdownQuery): Promise<QueryResult<Record<string, unknown>>> {
    const { dimension, measure, after, audience } = query;
    const { sql, schema } = this.queries;
    assertOnWindowGrid(after, 'after');
    return this.queries.publishOnce(`breakdown:${dimension}:${measure}:${after}`, audience, () =>
      computeBreakdown(sql, schema, dimension, measure, after),
    );
  }
}

async function computeBreakdown(
  sql: Sql,
  schema: string,
  dimension: BreakdownDimension,
  measure: OutcomeMeasure,
  after: number,
): Promise<Publication> {
  const s = sql(schema);
  const [run] = await sql<{ data_end: string | null }[]>`
    select coalesce(m.data_end, (select max(occurred_on) + 1 from ${s}.activity))::text as data_end
    from (select 1) x left join ${s}.matching_run m on m.id = 1`;
  const dataEnd = run?.data_end ?? '9999-01-01';
  const activityFilter =
    measure === 'cost' ? sql`a.cost_gbp > 0` : sql`a.activity = ${MEASURE_ACTIVITY[measure]}`;
  const valueExpr = measure === 'cost' ? sql`a.cost_gbp` : sql`1`;
  const users = await sql<
    {
      person_id: string;
      postcode_sector: string | null;
      postcode_district: string | null;
      lsoa: string | null;
      imd_decile: number | null;
      visits_by_site: Record<string, number>;
      prescriptions_by_need: Record<string, number>;
      events: number;
      days: number;
    }[]
  >`
    with users as (
      select l.person_id, l.index_date, p.postcode_sector, p.postcode_district, p.lsoa, p.imd_decile,
             l.visits_by_site, l.prescriptions_by_need,
             greatest(0, least((l.index_date + make_interval(months => ${after}))::date,
                               coalesce(p.death_date, 'infinity'::date), ${dataEnd}::date) - l.index_date) as days
      from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and l.index_date is not null and not coalesce(p.opted_out, false)
    )
    select u.person_id, u.postcode_sector, u.postcode_district, u.lsoa, u.imd_decile, u.visits_by_site,
           u.prescriptions_by_need, u.days,
           coalesce((select sum(${valueExpr}) from ${s}.activity a
                     where a.person_id = u.person_id and ${activityFilter}
                       and a.occurred_on >= u.index_date and a.occurred_on < u.index_date + u.days), 0) as events
    from users u`;
  const groups = new Map<string, { people: Set<string>; events: number; days: number }>();
  const distinct = new Set<string>();
  const add = (key: string | number | null | undefined, u: (typeof users)[number]) => {
    const k = key === null || key === undefined ? 'unknown' : String(key);
    const g = groups.get(k) ?? { people: new Set<string>(), events: 0, days: 0 };
    if (g.people.has(u.person_id)) return;
    g.people.add(u.person_id);
    distinct.add(u.person_id);
    g.events += Number(u.events);
    g.days += Number(u.days);
    groups.set(k, g);
  };
  for (const u of users) {
    switch (dimension) {
      case 'postcode-sector':
        add(u.postcode_sector, u);
        break;
      case 'postcode-district':
        add(u.postcode_district, u);
        break;
      case 'lsoa':
        add(u.lsoa, u);
        break;
      case 'imd-decile':
        add(u.imd_decile, u);
        break;
      case 'site':
        for (const site of Object.keys(u.visits_by_site)) add(site, u);
        break;
      case 'need':
        for (const need of Object.keys(u.prescriptions_by_need)) add(need, u);
        break;
    }
  }
  const data: BreakdownData = {
    dimension,
    measure,
    unit: MEASURE_UNITS[measure],
    after,
    groups: [...groups.keys()].sort(compareKeys).map((key) => {
      const g = groups.get(key)!;
      return {
        key,
        personIds: [...g.people],
        events: measure === 'cost' ? g.events : Math.round(g.events),
        personYears: g.days / DAYS_PER_YEAR,
      };
    }),
    distinctPeople: [...distinct],
  };
  return breakdownPublication(data);
}

function compareKeys(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
