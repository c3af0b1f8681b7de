import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Sql } from '@linkage/database';
import {
  wellbeingPublication,
  type Publication,
  type WellbeingData,
} from './analytics.publications';
import type { AnalyticsQueries, Audience, QueryResult } from './analytics.queries';
import { ANALYTICS_QUERIES, WELLBEING_MEANINGFUL_CHANGE } from './analytics-query-support';

/** SWEMWBS metric scores: baseline, follow-up and change among users with both (`GET /v1/wellbeing`). */
export class WellbeingQuery extends Query<QueryResult<Record<string, unknown>>> {
  constructor(readonly audience?: Audience) {
    super();
  }
}

@QueryHandler(WellbeingQuery)
export class WellbeingQueryHandler implements IQueryHandler<WellbeingQuery> {
  constructor(@Inject(ANALYTICS_QUERIES) private readonly queries: AnalyticsQueries) {}

  execute(query: WellbeingQuery): Promise<QueryResult<Record<string, unknown>>> {
    const { sql, schema } = this.queries;
    return this.queries.publishOnce('wellbeing', query.audience, () =>
      computeWellbeing(sql, schema),
    );
  }
}

async function computeWellbeing(sql: Sql, schema: string): Promise<Publication> {
  const s = sql(schema);
  const rows = await sql<
    { person_id: string; baseline: number; follow_up: number; change: number }[]
  >`
    select l.person_id, l.wellbeing_baseline as baseline, l.wellbeing_follow_up as follow_up,
           l.wellbeing_change as change
    from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
    where l.person_id is not null and l.wellbeing_change is not null and not coalesce(p.opted_out, false)`;
  const baseline = await sql<{ person_id: string }[]>`
    select l.person_id from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
    where l.person_id is not null and l.wellbeing_baseline is not null and not coalesce(p.opted_out, false)`;
  const data: WellbeingData = {
    baselineIds: baseline.map((r) => r.person_id),
    followUp: rows.map((r) => ({
      personId: r.person_id,
      baseline: Number(r.baseline),
      followUp: Number(r.follow_up),
      change: Number(r.change),
    })),
    meaningfulChange: WELLBEING_MEANINGFUL_CHANGE,
  };
  return wellbeingPublication(data);
}
