import type { Sql } from '@linkage/database';
import {
  addMonths,
  dayNumber,
  DEFAULT_MATCHING_SETTINGS,
  matchCohort,
  PRIOR_USE_ACTIVITIES,
  type CohortUser,
  type MatchingResult,
  type MatchingSettings,
  type MatchingSubject,
} from '@linkage/domain';
import { readCheckpoint } from '../projection/projector';
import { READ_MODEL } from '../read-model/read-model.schema';

export interface MatchingSummary {
  settings: MatchingSettings;
  eventStorePosition: string;
  /** First and last-plus-one day of service-use data: outcome windows are censored to these. */
  dataStart: string | null;
  dataEnd: string | null;
  users: number;
  matchedUsers: number;
  unmatchedUsers: number;
  /** Users with a control from a neighbouring prior-use band. */
  relaxedUsers: number;
  balance: MatchingResult['balance'];
}

/**
 * Matches the cohort (people with a Life Rooms contact, not opted out) to non-users from the
 * read models and stores the matched pairs, balance, settings and seed in `schema`, replacing the
 * previous run in one transaction. Runs after projection (`linkage project`, `linkage match`).
 */
export async function runMatching(
  sql: Sql,
  schema: string = READ_MODEL,
  settings: MatchingSettings = DEFAULT_MATCHING_SETTINGS,
): Promise<MatchingSummary> {
  const s = sql(schema);
  const position = await readCheckpoint(sql, schema);
  const people = await sql<
    {
      person_id: string;
      year_of_birth: number | null;
      sex: string | null;
      imd_decile: number | null;
      death_date: Date | string | null;
      index_date: Date | string | null;
    }[]
  >`
    select p.person_id, p.year_of_birth, p.sex, p.imd_decile, p.death_date, c.index_date
    from ${s}.person_profile p left join ${s}.cohort c using (person_id)
    where not p.opted_out`;
  const userIndexDates = people.filter((p) => p.index_date).map((p) => isoDate(p.index_date)!);
  userIndexDates.sort();
  const [range] = await sql<{ data_start: Date | string | null; data_end: Date | string | null }[]>`
    select min(occurred_on) as data_start, (max(occurred_on) + 1) as data_end from ${s}.activity`;
  const dataStart = isoDate(range?.data_start ?? null);
  const dataEnd = isoDate(range?.data_end ?? null);

  const serviceDays = new Map<string, number[]>();
  if (userIndexDates.length > 0) {
    const from = addMonths(userIndexDates[0], -settings.priorMonths);
    const to = userIndexDates[userIndexDates.length - 1];
    const rows = await sql<{ person_id: string; days: number[] }[]>`
      select person_id, array_agg((occurred_on - date '1970-01-01') order by occurred_on) as days
      from ${s}.activity
      where activity = any(${[...PRIOR_USE_ACTIVITIES]}::text[])
        and occurred_on >= ${from} and occurred_on < ${to}
      group by person_id`;
    for (const r of rows) serviceDays.set(r.person_id, r.days.map(Number));
  }

  const users: CohortUser[] = [];
  const candidates: MatchingSubject[] = [];
  for (const p of people) {
    const subject: MatchingSubject = {
      personId: p.person_id,
      yearOfBirth: p.year_of_birth,
      sex: p.sex,
      imdDecile: p.imd_decile,
      serviceDays: serviceDays.get(p.person_id) ?? [],
      deathDay: p.death_date ? dayNumber(isoDate(p.death_date)!) : null,
    };
    if (p.index_date) users.push({ ...subject, indexDate: isoDate(p.index_date)! });
    else candidates.push(subject);
  }
  const result = matchCohort(users, candidates, settings);

  const pairs = result.sets.flatMap((set) =>
    set.controlIds.map((controlId, rank) => ({
      user_id: set.userId,
      control_id: controlId,
      index_date: set.indexDate,
      rank,
    })),
  );
  const summary: MatchingSummary = {
    settings,
    eventStorePosition: position,
    dataStart,
    dataEnd,
    users: users.length,
    matchedUsers: result.sets.length,
    unmatchedUsers: result.unmatchedUsers,
    relaxedUsers: result.relaxedUsers,
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
      values (1, ${tx.json(settings as never)}, ${position}, ${dataStart}, ${dataEnd}, ${users.length},
              ${result.sets.length}, ${result.unmatchedUsers}, ${result.relaxedUsers}, ${tx.json(result.balance as never)}, now())
      on conflict (id) do update set
        settings = excluded.settings, event_store_position = excluded.event_store_position,
        data_start = excluded.data_start, data_end = excluded.data_end, users = excluded.users, matched_users = excluded.matched_users,
        unmatched_users = excluded.unmatched_users, relaxed_users = excluded.relaxed_users, balance = excluded.balance, created_at = now()`;
  });
  return summary;
}

function isoDate(value: Date | string | null): string | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}
