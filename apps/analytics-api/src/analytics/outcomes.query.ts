import { createHash } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Sql } from '@linkage/database';
import {
  matchedDifferenceInDifferences,
  MATCHED_DID_INTERVAL,
  NEGATIVE_CONTROL_MEASURE,
  type MonthWindow,
  type OutcomeMeasure,
  type PublishingPolicy,
} from '@linkage/domain';
import { outcomesPublication, type OutcomesData, type Publication } from './analytics.publications';
import type { AnalyticsQueries, Audience, QueryResult } from './analytics.queries';
import { ANALYTICS_QUERIES, assertOnWindowGrid, MEASURE_UNITS } from './analytics-query-support';
import { matchedSubjects } from './matched-subjects';
import { outcomeDiagnostics } from './outcome-diagnostics';

/**
 * Users vs matched controls for one measure (`GET /v1/outcomes`): windows in months on the
 * published grid (default 12 and 12), a washout before the index date (default 3), and for a
 * segment's Life Rooms lens only some users (and their matched controls).
 */
export class OutcomesQuery extends Query<QueryResult<Record<string, unknown>>> {
  constructor(
    readonly measure: OutcomeMeasure,
    readonly options: {
      before?: number;
      after?: number;
      washout?: number;
      audience?: Audience;
      usersAmong?: readonly string[];
    } = {},
  ) {
    super();
  }
}

@QueryHandler(OutcomesQuery)
export class OutcomesQueryHandler implements IQueryHandler<OutcomesQuery> {
  constructor(@Inject(ANALYTICS_QUERIES) private readonly queries: AnalyticsQueries) {}

  /**
   * Users vs matched controls: rates in the DiD baseline (months -before..-washout) and the
   * follow-up (0..after), the difference in differences with a 95% interval over matched sets,
   * and which diagnostics passed: balance, the placebo pre-trend test and the negative control.
   */
  async execute(query: OutcomesQuery): Promise<QueryResult<Record<string, unknown>>> {
    const { measure } = query;
    const { before = 12, after = 12, washout = 3, audience, usersAmong } = query.options;
    const { sql, schema } = this.queries;
    assertOnWindowGrid(before, 'before');
    assertOnWindowGrid(after, 'after');
    const version = await this.queries.version();
    const publication = await this.queries.once(
      version,
      `outcomes:${measure}:${before}:${after}:${washout}:${usersKey(usersAmong)}`,
      () =>
        computeOutcomes(
          sql,
          schema,
          this.queries.publishingPolicy,
          measure,
          before,
          after,
          washout,
          usersAmong,
        ),
    );
    return this.queries.publish(publication, audience, version);
  }
}

/**
 * The estimate, its placebo and negative control: the work `outcomes` does once per version.
 * The diagnostics go beside the estimate, and only when the gate published it (the placebo and
 * negative-control estimates are the same kind of statistic over the same people): an annex of
 * the publication, so that the whole answer is a function of the gate's decision and is
 * formatted once per decision (answer-memo.ts).
 */
async function computeOutcomes(
  sql: Sql,
  schema: string,
  policy: PublishingPolicy,
  measure: OutcomeMeasure,
  before: number,
  after: number,
  washout: number,
  usersAmong: readonly string[] | undefined,
) {
  const { sets, subjects, span, design, balanceAfter } = await matchedSubjects(
    sql,
    schema,
    [measure, NEGATIVE_CONTROL_MEASURE as OutcomeMeasure],
    usersAmong,
  );
  const baseline: MonthWindow = [-before, -washout];
  const windows = { before: baseline, after: [0, after] as MonthWindow };
  const did = (m: string, w: { before: MonthWindow; after: MonthWindow }) =>
    matchedDifferenceInDifferences(sets, subjects, m, w, span);
  const result = did(measure, windows);
  const placebo = did(measure, design.placebo);
  const negative = did(NEGATIVE_CONTROL_MEASURE, windows);
  const data: OutcomesData = {
    measure,
    unit: MEASURE_UNITS[measure],
    before,
    after,
    interval: MATCHED_DID_INTERVAL,
    comparison: result,
    userIds: sets.map((set) => set.userId),
    controlIds: sets.flatMap((set) => set.controlIds),
  };
  return {
    ...outcomesPublication(data),
    annex: (body) =>
      body.did === null || body.did === undefined
        ? undefined
        : {
            washout,
            baselineMonths: baseline,
            diagnostics: outcomeDiagnostics(
              policy,
              result,
              placebo,
              negative,
              balanceAfter,
              measure,
            ),
          },
  } satisfies Publication;
}

/** A cache key for "only these users" (order does not matter); `*` for everyone. */
function usersKey(usersAmong: readonly string[] | undefined): string {
  if (!usersAmong) return '*';
  return createHash('sha256')
    .update([...usersAmong].sort().join(','))
    .digest('hex');
}
