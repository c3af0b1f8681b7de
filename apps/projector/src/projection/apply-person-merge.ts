import type { StoredEvent } from '@linkage/event-store';
import {
  mergeLifeRoomsDocs,
  mergeProfiles,
  splitLifeRoomsDocs,
  splitProfiles,
  type LifeRoomsDoc,
  type PersonProfile,
} from '@linkage/domain';
import type { Tx } from './apply-batch';

/** The survivor of each of `personIds` that is merged into one (merged id -> survivor id). */
export async function loadSurvivors(
  tx: Tx,
  schema: string,
  personIds: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (personIds.size === 0) return out;
  for (const r of await tx<{ merged_id: string; survivor_id: string }[]>`
      select merged_id, survivor_id from ${tx(schema)}.person_merge
      where merged_id = any(${[...personIds]}::text[])`)
    out.set(r.merged_id, r.survivor_id);
  return out;
}

export interface ReadModelWriters {
  writeProfiles(tx: Tx, schema: string, docs: PersonProfile[]): Promise<void>;
  writeLifeRooms(tx: Tx, schema: string, docs: LifeRoomsDoc[]): Promise<void>;
}

/**
 * Applies `PersonsMerged` / `PersonsSplit`: moves the merged person's profile, Life Rooms facts,
 * activity and condition entries to the survivor (marked with their origin), or back. The
 * `person_merge` table remembers the merge for records of the merged person that arrive later.
 * A repeated event changes nothing.
 */
export async function applyPersonMergeEvent(
  tx: Tx,
  schema: string,
  event: StoredEvent,
  writers: ReadModelWriters,
): Promise<void> {
  const s = tx(schema);
  const mergedId = String(event.data.personId);
  const survivorId = String(event.data.survivorId);
  const merging = event.type === 'PersonsMerged';
  const [current] = await tx<{ survivor_id: string }[]>`
    select survivor_id from ${s}.person_merge where merged_id = ${mergedId}`;
  if (merging) {
    if (current) return;
    await tx`insert into ${s}.person_merge (merged_id, survivor_id) values (${mergedId}, ${survivorId})`;
  } else {
    if (current?.survivor_id !== survivorId) return;
    await tx`delete from ${s}.person_merge where merged_id = ${mergedId}`;
  }

  const profiles = new Map<string, PersonProfile>();
  for (const r of await tx<{ person_id: string; doc: PersonProfile }[]>`
      select person_id, doc from ${s}.person_profile
      where person_id in (${survivorId}, ${mergedId})`)
    profiles.set(r.person_id, r.doc);
  const survivorSubject = `person:${survivorId}`;
  const mergedSubject = `person:${mergedId}`;
  const docs = new Map<string, LifeRoomsDoc>();
  for (const r of await tx<{ subject: string; doc: LifeRoomsDoc }[]>`
      select subject, doc from ${s}.life_rooms
      where subject in (${survivorSubject}, ${mergedSubject})`)
    docs.set(r.subject, r.doc);

  let profile: { survivor: PersonProfile | null; merged: PersonProfile | null };
  let lifeRooms: { survivor: LifeRoomsDoc | null; merged: LifeRoomsDoc | null };
  if (merging) {
    profile = {
      survivor: mergeProfiles(
        profiles.get(survivorId) ?? null,
        survivorId,
        profiles.get(mergedId) ?? null,
        mergedId,
      ),
      merged: null,
    };
    lifeRooms = {
      survivor: mergeLifeRoomsDocs(
        docs.get(survivorSubject) ?? null,
        survivorSubject,
        docs.get(mergedSubject) ?? null,
        mergedId,
      ),
      merged: null,
    };
    await tx`update ${s}.activity set person_id = ${survivorId}, origin_person_id = ${mergedId}
      where person_id = ${mergedId}`;
    await tx`update ${s}.condition set person_id = ${survivorId}, origin_person_id = ${mergedId}
      where person_id = ${mergedId}`;
  } else {
    profile = splitProfiles(profiles.get(survivorId) ?? null, survivorId, mergedId);
    lifeRooms = splitLifeRoomsDocs(
      docs.get(survivorSubject) ?? null,
      survivorSubject,
      mergedSubject,
      mergedId,
    );
    await tx`update ${s}.activity set person_id = ${mergedId}, origin_person_id = null
      where origin_person_id = ${mergedId}`;
    await tx`update ${s}.condition set person_id = ${mergedId}, origin_person_id = null
      where origin_person_id = ${mergedId}`;
  }

  const keepProfiles = [profile.survivor, profile.merged].filter(
    (p): p is PersonProfile => p !== null,
  );
  const dropProfiles = [
    ...(profile.survivor ? [] : [survivorId]),
    ...(profile.merged ? [] : [mergedId]),
  ];
  if (dropProfiles.length > 0)
    await tx`delete from ${s}.person_profile where person_id = any(${dropProfiles}::text[])`;
  await writers.writeProfiles(tx, schema, keepProfiles);
  const keepDocs = [lifeRooms.survivor, lifeRooms.merged].filter(
    (d): d is LifeRoomsDoc => d !== null,
  );
  const dropDocs = [
    ...(lifeRooms.survivor ? [] : [survivorSubject]),
    ...(lifeRooms.merged ? [] : [mergedSubject]),
  ];
  if (dropDocs.length > 0)
    await tx`delete from ${s}.life_rooms where subject = any(${dropDocs}::text[])`;
  await writers.writeLifeRooms(tx, schema, keepDocs);

  // The monthly totals of both persons, recounted from their activity.
  await tx`delete from ${s}.service_use_monthly where person_id in (${survivorId}, ${mergedId})`;
  await tx`
    insert into ${s}.service_use_monthly (person_id, month, activity, cost_source, events, cost_gbp)
    select person_id, date_trunc('month', occurred_on)::date, activity, coalesce(cost_source, ''),
           count(*), sum(cost_gbp)
    from ${s}.activity where person_id in (${survivorId}, ${mergedId})
    group by 1, 2, 3, 4`;
}
