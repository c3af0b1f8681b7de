import type { Sql } from '@linkage/database';
import {
  personFactsOf,
  type Criterion,
  type LifeRoomsDoc,
  type PersonFacts,
  type PersonProfile,
  type Ruleset,
} from '@linkage/domain';
import { addMonths } from '@linkage/domain';

/** What a ruleset reads of activity: the types it names and how far back it looks. */
export function activityNeeds(ruleset: Ruleset): { activities: string[]; lookbackMonths: number } {
  const activities = new Set<string>();
  let lookback = 0;
  const walk = (c: Criterion): void => {
    if ('all' in c) c.all.forEach(walk);
    else if ('any' in c) c.any.forEach(walk);
    else if ('not' in c) walk(c.not);
    else if ('of' in c) c.of.forEach(walk);
    else if ('activity' in c) {
      c.activity.forEach((a) => activities.add(a));
      lookback = Math.max(lookback, c.within.months);
    } else if ('rising' in c) {
      c.rising.activity.forEach((a) => activities.add(a));
      lookback = Math.max(lookback, c.rising.quarters * 3);
    }
  };
  for (const s of ruleset.segments) {
    walk(s.criteria);
    for (const sub of s.subsegments ?? []) walk(sub.criteria);
  }
  return { activities: [...activities], lookbackMonths: lookback };
}

/**
 * Reads the facts of the people in the read models, a page at a time in person-id order, with
 * only the activity the ruleset needs (its types, inside its longest window). Pseudonymised
 * only: the read models hold nothing else.
 */
export async function* loadPersonFacts(
  sql: Sql,
  ruleset: Ruleset,
  asOf: string,
  options: { schema?: string; pageSize?: number } = {},
): AsyncGenerator<PersonFacts[]> {
  const s = sql(options.schema ?? 'read_model');
  const pageSize = options.pageSize ?? 5000;
  const { activities, lookbackMonths } = activityNeeds(ruleset);
  const from = addMonths(asOf, -Math.max(1, lookbackMonths));
  let after = '';
  for (;;) {
    const profiles = await sql<{ person_id: string; doc: PersonProfile }[]>`
      select person_id, doc from ${s}.person_profile where person_id > ${after}
      order by person_id limit ${pageSize}`;
    if (profiles.length === 0) return;
    const ids = profiles.map((p) => p.person_id);
    after = ids[ids.length - 1];
    const conditions = new Map<string, PersonFacts['conditions']>();
    for (const r of await sql<
      { person_id: string; cluster: string; recorded_on: string; resolved_on: string | null }[]
    >`
      select person_id, cluster, recorded_on::text, resolved_on::text from ${s}.condition
      where person_id = any(${ids}::text[])`) {
      push(conditions, r.person_id, {
        cluster: r.cluster,
        recordedOn: r.recorded_on,
        resolvedOn: r.resolved_on,
      });
    }
    const activity = new Map<string, PersonFacts['activity']>();
    if (activities.length > 0) {
      for (const r of await sql<{ person_id: string; activity: string; occurred_on: string }[]>`
        select person_id, activity, occurred_on::text from ${s}.activity
        where person_id = any(${ids}::text[]) and activity = any(${activities}::text[])
          and occurred_on > ${from}::date and occurred_on <= ${asOf}::date`) {
        push(activity, r.person_id, { activity: r.activity, date: r.occurred_on });
      }
    }
    const lifeRooms = new Map<string, LifeRoomsDoc>();
    for (const r of await sql<{ person_id: string; doc: LifeRoomsDoc }[]>`
      select person_id, doc from ${s}.life_rooms where person_id = any(${ids}::text[])`) {
      lifeRooms.set(r.person_id, r.doc);
    }
    yield profiles.map((p) =>
      personFactsOf(
        p.doc,
        conditions.get(p.person_id) ?? [],
        activity.get(p.person_id) ?? [],
        Object.values(lifeRooms.get(p.person_id)?.facts ?? {}),
      ),
    );
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
