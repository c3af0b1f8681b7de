import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Sql } from '@linkage/database';
import { balancePublication, type BalanceData, type Publication } from './analytics.publications';
import type { AnalyticsQueries, Audience, QueryResult } from './analytics.queries';
import { ANALYTICS_QUERIES, type BalanceRowLike } from './analytics-query-support';

/**
 * Balance of the matched comparison (`GET /v1/matching/balance`): SMDs before and after
 * matching, with its settings.
 */
export class BalanceQuery extends Query<QueryResult<Record<string, unknown>>> {
  constructor(readonly audience?: Audience) {
    super();
  }
}

@QueryHandler(BalanceQuery)
export class BalanceQueryHandler implements IQueryHandler<BalanceQuery> {
  constructor(@Inject(ANALYTICS_QUERIES) private readonly queries: AnalyticsQueries) {}

  execute(query: BalanceQuery): Promise<QueryResult<Record<string, unknown>>> {
    const { sql, schema } = this.queries;
    return this.queries.publishOnce('balance', query.audience, () => computeBalance(sql, schema));
  }
}

async function computeBalance(sql: Sql, schema: string): Promise<Publication> {
  const s = sql(schema);
  const [run] = await sql<
    {
      users: number;
      matched_users: number;
      unmatched_users: number;
      relaxed_users: number;
      balance: { before: BalanceRowLike[]; after: BalanceRowLike[] };
    }[]
  >`select users, matched_users, unmatched_users, relaxed_users, balance from ${s}.matching_run where id = 1`;
  const pairs = await sql<{ user_id: string; control_id: string }[]>`
    select user_id, control_id from ${s}.matched_pair`;
  const cohort = await sql<{ person_id: string; user: boolean }[]>`
    select p.person_id, (c.person_id is not null) as user
    from ${s}.person_profile p left join ${s}.cohort c using (person_id)
    where not p.opted_out and p.year_of_birth is not null and p.sex is not null
      and p.imd_decile is not null`;
  const cohortUserIds = cohort.filter((r) => r.user).map((r) => r.person_id);
  const data: BalanceData = {
    cohortUsers: run?.users ?? 0,
    matchedUsers: run?.matched_users ?? 0,
    unmatchedUsers: run?.unmatched_users ?? 0,
    relaxedUsers: run?.relaxed_users ?? 0,
    comparisonPool: cohort.length - cohortUserIds.length,
    matchedControls: new Set(pairs.map((p) => p.control_id)).size,
    covariates: (run?.balance.before ?? []).map((b) => {
      const a = run!.balance.after.find((row) => row.covariate === b.covariate);
      return {
        covariate: b.covariate,
        before: { meanUsers: b.meanUsers, meanControls: b.meanControls, smd: b.smd },
        after: a ? { meanUsers: a.meanUsers, meanControls: a.meanControls, smd: a.smd } : undefined,
      };
    }),
    cohortUserIds,
    comparisonIds: cohort.filter((r) => !r.user).map((r) => r.person_id),
    matchedUserIds: [...new Set(pairs.map((p) => p.user_id))],
    matchedControlIds: [...new Set(pairs.map((p) => p.control_id))],
  };
  return balancePublication(data);
}
