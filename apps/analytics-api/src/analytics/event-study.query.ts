import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Sql } from '@linkage/database';
import { eventStudy, type OutcomeMeasure } from '@linkage/domain';
import type { Publication } from './analytics.publications';
import type { AnalyticsQueries, Audience, QueryResult } from './analytics.queries';
import { ANALYTICS_QUERIES, MEASURE_UNITS } from './analytics-query-support';
import { eventStudyPublication, type EventStudyData } from './evaluation.publications';
import { matchedSubjects } from './matched-subjects';

/**
 * Event study (`GET /v1/outcomes/event-study`): monthly rates of users and matched controls from
 * 24 months before to 24 after the index date. A month whose events in either group are small
 * is suppressed.
 */
export class EventStudyQuery extends Query<QueryResult<Record<string, unknown>>> {
  constructor(
    readonly measure: OutcomeMeasure,
    readonly audience?: Audience,
  ) {
    super();
  }
}

@QueryHandler(EventStudyQuery)
export class EventStudyQueryHandler implements IQueryHandler<EventStudyQuery> {
  constructor(@Inject(ANALYTICS_QUERIES) private readonly queries: AnalyticsQueries) {}

  execute(query: EventStudyQuery): Promise<QueryResult<Record<string, unknown>>> {
    const { sql, schema } = this.queries;
    return this.queries.publishOnce(`event-study:${query.measure}`, query.audience, () =>
      computeEventStudy(sql, schema, query.measure),
    );
  }
}

async function computeEventStudy(
  sql: Sql,
  schema: string,
  measure: OutcomeMeasure,
): Promise<Publication> {
  const { sets, subjects, span, design } = await matchedSubjects(sql, schema, [measure]);
  const [from, to] = design.eventStudy;
  const data: EventStudyData = {
    measure,
    unit: MEASURE_UNITS[measure],
    months: [from, to],
    washoutMonths: -design.baseline[1],
    series: eventStudy(sets, subjects, measure, from, to, span),
    matchedUsers: sets.length,
    userIds: sets.map((set) => set.userId),
    controlIds: sets.flatMap((set) => set.controlIds),
  };
  return eventStudyPublication(data);
}
