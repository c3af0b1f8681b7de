import type { Sql } from '@linkage/database';
import {
  dayNumber,
  EVALUATION_MEASURES,
  MEASURE_ACTIVITY,
  type DataSpan,
  type EvaluationSubject,
  type RegistrationSpell,
} from '@linkage/domain';

/**
 * Everyone the evaluation may use (not opted out), as `EvaluationSubject`s: demographics, the
 * registrations over time (for the IMD decile in force at an index date), death, index date
 * and the days of their service use for every evaluation measure. Plus the data span.
 */
export async function loadEvaluationSubjects(
  sql: Sql,
  schema: string,
): Promise<{ subjects: EvaluationSubject[]; span: DataSpan | null }> {
  const s = sql(schema);
  const people = await sql<
    {
      person_id: string;
      year_of_birth: number | null;
      sex: string | null;
      imd_decile: number | null;
      death_date: string | null;
      index_date: string | null;
      registrations: RegistrationSpell[] | null;
    }[]
  >`
    select p.person_id, p.year_of_birth, p.sex, p.imd_decile, p.death_date::text as death_date,
           c.index_date::text as index_date, p.doc->'registrations' as registrations
    from ${s}.person_profile p left join ${s}.cohort c using (person_id)
    where not p.opted_out
    -- In a fixed order: the seeded matching depends on it, and the table's physical order
    -- depends on how the event writer happened to batch (the same data could match otherwise).
    order by p.person_id`;
  const [range] = await sql<{ data_start: string | null; data_end: string | null }[]>`
    select min(occurred_on)::text as data_start, (max(occurred_on) + 1)::text as data_end
    from ${s}.activity`;
  const measureOf = new Map<string, string>(
    EVALUATION_MEASURES.map((m) => [MEASURE_ACTIVITY[m], m] as const),
  );
  const days = new Map<string, Record<string, number[]>>();
  const rows = await sql<{ person_id: string; activity: string; days: number[] }[]>`
    select person_id, activity,
           array_agg((occurred_on - date '1970-01-01') order by occurred_on) as days
    from ${s}.activity where activity = any(${[...measureOf.keys()]}::text[])
    group by person_id, activity`;
  for (const r of rows) {
    const byMeasure = days.get(r.person_id) ?? {};
    byMeasure[measureOf.get(r.activity)!] = r.days.map(Number);
    days.set(r.person_id, byMeasure);
  }
  const subjects = people.map((p): EvaluationSubject => ({
    personId: p.person_id,
    yearOfBirth: p.year_of_birth,
    sex: p.sex,
    // Life Rooms-only demographics have no registration: their one known decile throughout.
    registrations:
      p.registrations && p.registrations.length > 0
        ? p.registrations.map((r) => ({ fromDay: dayNumber(r.at), imdDecile: r.imdDecile }))
        : [{ fromDay: Number.NEGATIVE_INFINITY, imdDecile: p.imd_decile }],
    deathDay: p.death_date ? dayNumber(p.death_date) : null,
    indexDay: p.index_date ? dayNumber(p.index_date) : null,
    days: days.get(p.person_id) ?? {},
  }));
  const span =
    range?.data_start && range.data_end
      ? { startDay: dayNumber(range.data_start), endDay: dayNumber(range.data_end) }
      : null;
  return { subjects, span };
}
