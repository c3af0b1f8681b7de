import type { Sql } from '@linkage/database';
import {
  dayNumber,
  DEFAULT_EVALUATION_DESIGN,
  MEASURE_ACTIVITY,
  type DataSpan,
  type EvaluationDesign,
  type EvaluationSubject,
  type OutcomeMeasure,
  type TrajectoryMatchedSet,
} from '@linkage/domain';
import type { BalanceRowLike } from './analytics-query-support';

/** What the outcome and event-study estimates are computed from. */
export interface MatchedSubjects {
  sets: TrajectoryMatchedSet[];
  subjects: Map<string, EvaluationSubject>;
  span: DataSpan;
  design: EvaluationDesign;
  balanceAfter: BalanceRowLike[];
}

/**
 * The matched sets (opted-out people left out) and, for everyone in them, what the estimate
 * needs: death and the days (and values, for cost) of the given measures.
 */
export async function matchedSubjects(
  sql: Sql,
  schema: string,
  measures: readonly OutcomeMeasure[],
  /** Only these users (and their matched controls): a segment's Life Rooms lens. */
  usersAmong?: readonly string[],
): Promise<MatchedSubjects> {
  const s = sql(schema);
  const [run] = await sql<
    {
      data_start: string | null;
      data_end: string | null;
      settings: EvaluationDesign;
      balance: { after: BalanceRowLike[] } | null;
    }[]
  >`
    select data_start::text as data_start, data_end::text as data_end, settings, balance
    from ${s}.matching_run where id = 1`;
  const pairs = await sql<{ user_id: string; control_id: string; index_date: string }[]>`
    select m.user_id, m.control_id, m.index_date::text as index_date
    from ${s}.matched_pair m
    join ${s}.person_profile pu on pu.person_id = m.user_id
    join ${s}.person_profile pc on pc.person_id = m.control_id
    where not pu.opted_out and not pc.opted_out
    order by m.user_id, m.rank`;
  const byUser = new Map<string, TrajectoryMatchedSet>();
  const among = usersAmong && new Set(usersAmong);
  for (const p of pairs) {
    if (among && !among.has(p.user_id)) continue;
    const set = byUser.get(p.user_id) ?? {
      userId: p.user_id,
      indexDay: dayNumber(p.index_date),
      controlIds: [],
    };
    set.controlIds.push(p.control_id);
    byUser.set(p.user_id, set);
  }
  const people = [
    ...new Set([...byUser.values()].flatMap((set) => [set.userId, ...set.controlIds])),
  ];
  const subjects = new Map<string, EvaluationSubject>();
  const days = new Map<string, Record<string, number[]>>();
  const values = new Map<string, Record<string, number[]>>();
  for (const r of await sql<{ person_id: string; death_date: string | null }[]>`
      select person_id, death_date::text as death_date from ${s}.person_profile
      where person_id = any(${people}::text[])`) {
    const personDays: Record<string, number[]> = {};
    const personValues: Record<string, number[]> = {};
    days.set(r.person_id, personDays);
    values.set(r.person_id, personValues);
    subjects.set(r.person_id, {
      personId: r.person_id,
      yearOfBirth: null,
      sex: null,
      registrations: [],
      deathDay: r.death_date ? dayNumber(r.death_date) : null,
      indexDay: byUser.get(r.person_id)?.indexDay ?? null,
      days: personDays,
      values: personValues,
    });
  }
  for (const measure of measures) {
    const rows =
      measure === 'cost'
        ? await sql<{ person_id: string; day: number; value: number }[]>`
            select person_id, (occurred_on - date '1970-01-01') as day, cost_gbp as value
            from ${s}.activity where cost_gbp > 0 and person_id = any(${people}::text[])
            order by person_id, occurred_on`
        : await sql<{ person_id: string; day: number; value: number }[]>`
            select person_id, (occurred_on - date '1970-01-01') as day, 1 as value
            from ${s}.activity
            where activity = ${MEASURE_ACTIVITY[measure]} and person_id = any(${people}::text[])
            order by person_id, occurred_on`;
    for (const r of rows) {
      const d = days.get(r.person_id);
      const v = values.get(r.person_id);
      if (!d || !v) continue;
      (d[measure] ??= []).push(Number(r.day));
      (v[measure] ??= []).push(Number(r.value));
    }
  }
  const span: DataSpan = {
    startDay: run?.data_start ? dayNumber(run.data_start) : Number.NEGATIVE_INFINITY,
    endDay: run?.data_end ? dayNumber(run.data_end) : Number.POSITIVE_INFINITY,
  };
  const design = run?.settings?.matching ? run.settings : DEFAULT_EVALUATION_DESIGN;
  return {
    sets: [...byUser.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
    subjects,
    span,
    design,
    balanceAfter: run?.balance?.after ?? [],
  };
}
