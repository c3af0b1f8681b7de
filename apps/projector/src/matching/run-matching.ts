import type { Sql } from '@linkage/database';
import {
  DEFAULT_EVALUATION_DESIGN,
  matchOnTrajectory,
  type EvaluationDesign,
  type TrajectoryMatchingResult,
} from '@linkage/domain';
import { readCheckpoint } from '../projection/projector';
import { READ_MODEL } from '../read-model/read-model.schema';
import { loadEvaluationSubjects } from './evaluation-subjects';

export interface MatchingSummary {
  settings: EvaluationDesign;
  eventStorePosition: string;
  /** First and last-plus-one day of service-use data: outcome windows are censored to these. */
  dataStart: string | null;
  dataEnd: string | null;
  users: number;
  matchedUsers: number;
  unmatchedUsers: number;
  /** Users whose nearest control lay beyond the caliper (matched to that one control). */
  relaxedUsers: number;
  balance: TrajectoryMatchingResult['balance'];
}

/**
 * Matches the cohort (people with a Life Rooms contact, not opted out) to non-users on their
 * covariates and pre-index trajectory as of each user's index date (`matchOnTrajectory`) and
 * stores the matched sets, balance, design and seed in `schema`, replacing the previous run in
 * one transaction. Runs after projection (`linkage project`, `linkage match`).
 */
export async function runMatching(
  sql: Sql,
  schema: string = READ_MODEL,
  design: EvaluationDesign = DEFAULT_EVALUATION_DESIGN,
): Promise<MatchingSummary> {
  const position = await readCheckpoint(sql, schema);
  const { subjects, span } = await loadEvaluationSubjects(sql, schema);
  const users = subjects.filter((s) => s.indexDay !== null);
  const candidates = subjects.filter((s) => s.indexDay === null);
  const result = matchOnTrajectory(
    users,
    candidates,
    span ?? { startDay: Number.NEGATIVE_INFINITY, endDay: Number.POSITIVE_INFINITY },
    design.matching,
  );
  const pairs = result.sets.flatMap((set) =>
    set.controlIds.map((controlId, rank) => ({
      user_id: set.userId,
      control_id: controlId,
      index_date: isoOfDay(set.indexDay),
      rank,
    })),
  );
  const dataStart = span ? isoOfDay(span.startDay) : null;
  const dataEnd = span ? isoOfDay(span.endDay) : null;
  const summary: MatchingSummary = {
    settings: design,
    eventStorePosition: position,
    dataStart,
    dataEnd,
    users: users.length,
    matchedUsers: result.sets.length,
    unmatchedUsers: result.unmatchedUsers,
    relaxedUsers: result.outsideCaliperUsers,
    balance: result.balance,
  };
  await sql.begin(async (tx) => {
    const t = tx(schema);
    await tx`delete from ${t}.matched_pair`;
    if (pairs.length > 0) {
      await tx`
        insert into ${t}.matched_pair (user_id, control_id, index_date, rank)
        select * from jsonb_to_recordset(${JSON.stringify(pairs)}::text::jsonb)
          as x(user_id text, control_id text, index_date date, rank int)`;
    }
    await tx`
      insert into ${t}.matching_run (id, settings, event_store_position, data_start, data_end, users, matched_users, unmatched_users, relaxed_users, balance, created_at)
      values (1, ${tx.json(design as never)}, ${position}, ${dataStart}, ${dataEnd}, ${users.length},
              ${result.sets.length}, ${result.unmatchedUsers}, ${result.outsideCaliperUsers}, ${tx.json(result.balance as never)}, now())
      on conflict (id) do update set
        settings = excluded.settings, event_store_position = excluded.event_store_position,
        data_start = excluded.data_start, data_end = excluded.data_end, users = excluded.users, matched_users = excluded.matched_users,
        unmatched_users = excluded.unmatched_users, relaxed_users = excluded.relaxed_users, balance = excluded.balance, created_at = now()`;
  });
  return summary;
}

function isoOfDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}
