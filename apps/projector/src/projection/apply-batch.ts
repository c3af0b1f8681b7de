import type postgres from 'postgres';
import type { StoredEvent } from '@linkage/event-store';
import {
  conditionEntryOf,
  evolveAttributedProfile,
  evolveLifeRooms,
  fileUnderCanonicalIds,
  isLifeRoomsEvent,
  isPersonMergeEvent,
  pseudonymsNamed,
  withFactOrigin,
  serviceUseFactsOf,
  summariseLifeRooms,
  type ConditionEntry,
  type CostLookup,
  type LifeRoomsDoc,
  type PersonProfile,
  type ServiceUseFact,
} from '@linkage/domain';
import { applyPersonMergeEvent, loadSurvivors } from './apply-person-merge';

export type Tx = postgres.TransactionSql<Record<string, never>>;

/** The one projection this app runs; its checkpoint row in `<schema>.checkpoint`. */
export const PROJECTION_NAME = 'read-models';

const personSubject = (personId: string) => `person:${personId}`;
/** A Life Rooms record nobody has been linked to (yet). */
const recordSubject = (eventId: string) => `record:${eventId}`;

function decisionEventIds(e: StoredEvent): string[] {
  const ids = e.data.eventIds;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Moves one record's fact between documents; undefined when `from` does not hold it. The fact
 * arrives as the subject's own (the caller marks it when it is a merged person's).
 */
function moveFact(
  from: LifeRoomsDoc | null,
  into: LifeRoomsDoc | null,
  eventId: string,
  intoSubject: string,
): { from: LifeRoomsDoc | null; into: LifeRoomsDoc } | undefined {
  const fact = from?.facts[eventId];
  if (!from || !fact) return undefined;
  const rest = { ...from.facts };
  delete rest[eventId];
  return {
    from:
      Object.keys(rest).length > 0 ? withFactOrigin({ ...from, facts: rest }, eventId, null) : null,
    into: withFactOrigin(
      { ...(into ?? {}), subject: intoSubject, facts: { ...(into?.facts ?? {}), [eventId]: fact } },
      eventId,
      null,
    ),
  };
}

/**
 * Applies one batch of events to the read models in `schema`, inside the caller's transaction,
 * and moves the checkpoint to the batch's last event in the same transaction: a crash either
 * keeps the whole batch and its checkpoint or neither, so nothing is ever counted twice.
 *
 * Set-based: the documents the batch touches are loaded in a few queries, evolved in memory with
 * the pure projections of `@linkage/domain`, and written back with one statement per table.
 */
export async function applyBatch(
  tx: Tx,
  schema: string,
  batch: readonly StoredEvent[],
  costs: CostLookup,
  options: ApplyOptions = {},
): Promise<{ applied: number }> {
  if (batch.length === 0) return { applied: 0 };
  const s = tx(schema);
  const events = await followPseudonymRotations(tx, schema, batch);

  // A merge or split of two persons moves whole persons between documents: it is applied on its
  // own, in log order, between the runs of record events around it.
  let run: StoredEvent[] = [];
  for (const e of events) {
    if (!isPersonMergeEvent(e.type)) {
      run.push(e);
      continue;
    }
    await applyRecordEvents(tx, schema, run, costs, options);
    run = [];
    await applyPersonMergeEvent(tx, schema, e, { writeProfiles, writeLifeRooms });
  }
  await applyRecordEvents(tx, schema, run, costs, options);

  // The checkpoint counts the whole batch, rotation events (filed away above) included.
  const last = batch[batch.length - 1];
  await tx`
    insert into ${s}.checkpoint (projection, position, events_applied, last_recorded_at, updated_at)
    values (${PROJECTION_NAME}, ${last.position}, ${batch.length}, ${last.recordedAt}, now())
    on conflict (projection) do update set
      position = excluded.position,
      events_applied = ${s}.checkpoint.events_applied + excluded.events_applied,
      last_recorded_at = excluded.last_recorded_at,
      updated_at = now()`;
  return { applied: batch.length };
}

export interface ApplyOptions {
  /**
   * Leave `service_use_monthly` alone; a bulk load into empty read models totals it once from
   * `activity` at its end (`totalMonthlyServiceUse`) instead of upserting totals every batch.
   */
  deferMonthlyTotals?: boolean;
}

/**
 * Recounts `service_use_monthly` from `activity` in one statement: what the per-batch upserts
 * add up to, since both count each stored fact once (a merge recounts its two persons the same
 * way, in apply-person-merge.ts).
 */
export async function totalMonthlyServiceUse(tx: Tx, schema: string): Promise<void> {
  const s = tx(schema);
  await tx`delete from ${s}.service_use_monthly`;
  await tx`
    insert into ${s}.service_use_monthly (person_id, month, activity, cost_source, events, cost_gbp)
    select person_id, date_trunc('month', occurred_on)::date, activity, coalesce(cost_source, ''),
           count(*), sum(cost_gbp)
    from ${s}.activity group by 1, 2, 3, 4`;
}

/** Applies a run of record and link-decision events (no merges) to the read models. */
async function applyRecordEvents(
  tx: Tx,
  schema: string,
  events: readonly StoredEvent[],
  costs: CostLookup,
  options: ApplyOptions,
): Promise<void> {
  if (events.length === 0) return;
  const s = tx(schema);

  // Who owns a record without an NHS number is decided by the event writer and recorded as
  // RecordLinked / RecordUnlinked events; this projection keeps no idea of its own, it only
  // remembers those decisions (record_link) so that either order of record and decision works.
  const personIds = new Set<string>();
  const recordIds = new Set<string>();
  for (const e of events) {
    const d = e.data;
    if (typeof d.personId === 'string') personIds.add(d.personId);
    if (e.type === 'RecordLinked' || e.type === 'RecordUnlinked') {
      for (const id of decisionEventIds(e)) recordIds.add(id);
    } else if (isLifeRoomsEvent(e.type) && typeof d.personId !== 'string') {
      recordIds.add(e.eventId);
    }
  }

  const links = new Map<string, string>();
  if (recordIds.size > 0) {
    const rows = await tx<{ event_id: string; person_id: string }[]>`
      select event_id::text as event_id, person_id from ${s}.record_link
      where event_id = any(${[...recordIds]}::uuid[])`;
    for (const r of rows) links.set(r.event_id, r.person_id);
    for (const id of links.values()) personIds.add(id);
  }
  // A merged person's records belong to its survivor while the merge stands.
  const survivorOf = await loadSurvivors(tx, schema, personIds);
  for (const id of survivorOf.values()) personIds.add(id);
  const ownerOf = (personId: string) => survivorOf.get(personId) ?? personId;
  const originOf = new Map<string, string>();

  const subjects = new Set<string>([
    ...[...personIds].map(personSubject),
    ...[...recordIds].map(recordSubject),
  ]);
  const docs = new Map<string, LifeRoomsDoc | null>();
  for (const r of await tx<{ subject: string; doc: LifeRoomsDoc }[]>`
      select subject, doc from ${s}.life_rooms where subject = any(${[...subjects]}::text[])`) {
    docs.set(r.subject, r.doc);
  }
  const profiles = new Map<string, PersonProfile | null>();
  for (const r of await tx<{ person_id: string; doc: PersonProfile }[]>`
      select person_id, doc from ${s}.person_profile where person_id = any(${[...personIds]}::text[])`) {
    profiles.set(r.person_id, r.doc);
  }

  const dirtyDocs = new Set<string>();
  const removedDocs = new Set<string>();
  const dirtyProfiles = new Set<string>();
  const changedLinks = new Map<string, string | null>();
  const facts = new Map<string, ServiceUseFact>();
  const put = (subject: string, doc: LifeRoomsDoc | null) => {
    docs.set(subject, doc);
    if (doc && Object.keys(doc.facts).length > 0) {
      dirtyDocs.add(subject);
      removedDocs.delete(subject);
    } else {
      dirtyDocs.delete(subject);
      removedDocs.add(subject);
    }
  };
  const conditions: ConditionEntry[] = [];

  for (const e of events) {
    const view = { eventId: e.eventId, type: e.type, data: e.data };
    if (e.type === 'RecordLinked' || e.type === 'RecordUnlinked') {
      const personId = String(e.data.personId);
      const owner = ownerOf(personId);
      const into = personSubject(owner);
      for (const id of decisionEventIds(e)) {
        const record = recordSubject(id);
        if (e.type === 'RecordLinked') {
          links.set(id, personId);
          changedLinks.set(id, personId);
          const moved = moveFact(docs.get(record) ?? null, docs.get(into) ?? null, id, into);
          if (moved) {
            put(record, moved.from);
            put(into, owner === personId ? moved.into : withFactOrigin(moved.into, id, personId));
          }
        } else if (links.get(id) === personId) {
          links.delete(id);
          changedLinks.set(id, null);
          const moved = moveFact(docs.get(into) ?? null, docs.get(record) ?? null, id, record);
          if (moved) {
            put(into, moved.from);
            put(record, moved.into);
          }
        }
      }
      continue;
    }
    const personId = typeof e.data.personId === 'string' ? e.data.personId : null;
    if (personId) {
      const owner = ownerOf(personId);
      const before = profiles.get(owner) ?? null;
      const after = evolveAttributedProfile(before, owner, view);
      if (after !== before && after) {
        profiles.set(owner, after);
        dirtyProfiles.add(owner);
      }
    }
    if (isLifeRoomsEvent(e.type)) {
      const origin = personId ?? links.get(e.eventId);
      const owner = origin ? ownerOf(origin) : undefined;
      const subject = owner ? personSubject(owner) : recordSubject(e.eventId);
      const before = docs.get(subject) ?? null;
      const after = evolveLifeRooms(before, view, subject);
      if (after && after !== before)
        put(subject, origin === owner ? after : withFactOrigin(after, e.eventId, origin!));
      continue;
    }
    let attributed = view;
    if (personId && ownerOf(personId) !== personId) {
      attributed = { ...view, data: { ...view.data, personId: ownerOf(personId) } };
      originOf.set(e.eventId, personId);
    }
    for (const f of serviceUseFactsOf(attributed, costs))
      facts.set(`${f.eventId}|${f.activity}`, f);
    const condition = conditionEntryOf(attributed);
    if (condition) conditions.push(condition);
  }

  await writeProfiles(
    tx,
    schema,
    [...dirtyProfiles].map((id) => profiles.get(id)!),
  );
  await writeLifeRooms(
    tx,
    schema,
    [...dirtyDocs].map((subject) => docs.get(subject)!).filter(Boolean),
  );
  if (removedDocs.size > 0) {
    await tx`delete from ${s}.life_rooms where subject = any(${[...removedDocs]}::text[])`;
  }
  const linked = [...changedLinks].filter(([, p]) => p !== null) as [string, string][];
  const unlinked = [...changedLinks].filter(([, p]) => p === null).map(([id]) => id);
  if (linked.length > 0) {
    await tx`
      insert into ${s}.record_link (event_id, person_id)
      select * from unnest(${linked.map(([id]) => id)}::uuid[], ${linked.map(([, p]) => p)}::text[])
      on conflict (event_id) do update set person_id = excluded.person_id`;
  }
  if (unlinked.length > 0) {
    await tx`delete from ${s}.record_link where event_id = any(${unlinked}::uuid[])`;
  }
  await writeServiceUse(tx, schema, [...facts.values()], originOf, options);
  await writeConditions(tx, schema, conditions, originOf);
}

/**
 * Files the batch under each person's first pseudonym, remembering the aliases that its
 * `PseudonymRotated` events add (the pure rule is `fileUnderCanonicalIds` in the domain).
 */
async function followPseudonymRotations(
  tx: Tx,
  schema: string,
  batch: readonly StoredEvent[],
): Promise<StoredEvent[]> {
  const s = tx(schema);
  const known = new Map<string, string>();
  const named = pseudonymsNamed(batch);
  if (named.length > 0) {
    for (const r of await tx<{ person_id: string; canonical_person_id: string }[]>`
        select person_id, canonical_person_id from ${s}.person_alias
        where person_id = any(${named}::text[])`) {
      known.set(r.person_id, r.canonical_person_id);
    }
  }
  const { events, newAliases } = fileUnderCanonicalIds(batch, known);
  if (newAliases.size > 0) {
    await tx`
      insert into ${s}.person_alias (person_id, canonical_person_id)
      select * from unnest(${[...newAliases.keys()]}::text[], ${[...newAliases.values()]}::text[])
      on conflict (person_id) do nothing`;
  }
  return events;
}

export async function writeProfiles(tx: Tx, schema: string, docs: PersonProfile[]): Promise<void> {
  if (docs.length === 0) return;
  const rows = docs.map((d) => ({
    person_id: d.personId,
    year_of_birth: d.yearOfBirth,
    sex: d.sex,
    postcode_sector: d.postcodeSector,
    postcode_district: d.postcodeDistrict,
    lsoa: d.lsoa,
    imd_decile: d.imdDecile,
    local_authority: d.localAuthority,
    death_date: d.deathDate,
    opted_out: d.optedOut,
    doc: d,
  }));
  const s = tx(schema);
  await tx`
    insert into ${s}.person_profile
    select * from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as x(
      person_id text, year_of_birth int, sex text, postcode_sector text, postcode_district text,
      lsoa text, imd_decile int, local_authority text, death_date date, opted_out boolean, doc jsonb)
    on conflict (person_id) do update set
      year_of_birth = excluded.year_of_birth, sex = excluded.sex,
      postcode_sector = excluded.postcode_sector, postcode_district = excluded.postcode_district,
      lsoa = excluded.lsoa, imd_decile = excluded.imd_decile,
      local_authority = excluded.local_authority, death_date = excluded.death_date,
      opted_out = excluded.opted_out, doc = excluded.doc`;
}

export async function writeLifeRooms(tx: Tx, schema: string, docs: LifeRoomsDoc[]): Promise<void> {
  if (docs.length === 0) return;
  const rows = docs.map((doc) => {
    const sum = summariseLifeRooms(doc);
    return {
      subject: doc.subject,
      person_id: doc.subject.startsWith('person:') ? doc.subject.slice('person:'.length) : null,
      index_date: sum.indexDate,
      contacts: sum.contacts,
      visits: Object.values(sum.visitsBySite).reduce((a, b) => a + b, 0),
      course_enrolments: sum.courseEnrolments,
      sessions_attended: sum.sessionsAttended,
      referrals: sum.referrals,
      pathways_contacts: sum.pathwaysContacts,
      prescriptions: Object.values(sum.prescriptionsByNeed).reduce((a, b) => a + b, 0),
      visits_by_site: sum.visitsBySite,
      prescriptions_by_need: sum.prescriptionsByNeed,
      outcomes_by_need: sum.outcomesByNeed,
      wellbeing_baseline: sum.wellbeingBaseline,
      wellbeing_follow_up: sum.wellbeingFollowUp,
      wellbeing_change: sum.wellbeingChange,
      doc,
    };
  });
  const s = tx(schema);
  await tx`
    insert into ${s}.life_rooms
    select * from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as x(
      subject text, person_id text, index_date date, contacts int, visits int,
      course_enrolments int, sessions_attended int, referrals int, pathways_contacts int,
      prescriptions int, visits_by_site jsonb, prescriptions_by_need jsonb, outcomes_by_need jsonb,
      wellbeing_baseline double precision, wellbeing_follow_up double precision,
      wellbeing_change double precision, doc jsonb)
    on conflict (subject) do update set
      person_id = excluded.person_id, index_date = excluded.index_date,
      contacts = excluded.contacts, visits = excluded.visits,
      course_enrolments = excluded.course_enrolments, sessions_attended = excluded.sessions_attended,
      referrals = excluded.referrals, pathways_contacts = excluded.pathways_contacts,
      prescriptions = excluded.prescriptions, visits_by_site = excluded.visits_by_site,
      prescriptions_by_need = excluded.prescriptions_by_need,
      outcomes_by_need = excluded.outcomes_by_need,
      wellbeing_baseline = excluded.wellbeing_baseline,
      wellbeing_follow_up = excluded.wellbeing_follow_up,
      wellbeing_change = excluded.wellbeing_change, doc = excluded.doc`;
}

async function writeServiceUse(
  tx: Tx,
  schema: string,
  facts: ServiceUseFact[],
  originOf: ReadonlyMap<string, string>,
  options: ApplyOptions,
): Promise<void> {
  if (facts.length === 0) return;
  const rows = facts.map((f) => ({
    event_id: f.eventId,
    activity: f.activity,
    person_id: f.personId,
    occurred_on: f.date,
    cost_gbp: f.costGbp,
    cost_source: f.costSource,
    origin_person_id: originOf.get(f.eventId) ?? null,
  }));
  const s = tx(schema);
  const json = JSON.stringify(rows);
  if (options.deferMonthlyTotals) {
    await tx`
      insert into ${s}.activity (
        event_id, activity, person_id, occurred_on, cost_gbp, cost_source, origin_person_id)
      select * from jsonb_to_recordset(${json}::text::jsonb) as f(
        event_id uuid, activity text, person_id text, occurred_on date,
        cost_gbp double precision, cost_source text, origin_person_id text)
      on conflict do nothing`;
    return;
  }
  // Only facts not stored before reach the monthly totals: idempotent by (event id, activity).
  await tx`
    with facts as (
      select * from jsonb_to_recordset(${json}::text::jsonb) as f(
        event_id uuid, activity text, person_id text, occurred_on date,
        cost_gbp double precision, cost_source text, origin_person_id text)
    ), inserted as (
      insert into ${s}.activity (
        event_id, activity, person_id, occurred_on, cost_gbp, cost_source, origin_person_id)
      select event_id, activity, person_id, occurred_on, cost_gbp, cost_source, origin_person_id
      from facts
      on conflict do nothing
      returning person_id, occurred_on, activity, cost_source, cost_gbp
    )
    insert into ${s}.service_use_monthly (person_id, month, activity, cost_source, events, cost_gbp)
    select person_id, date_trunc('month', occurred_on)::date, activity, coalesce(cost_source, ''),
           count(*), sum(cost_gbp)
    from inserted group by 1, 2, 3, 4
    on conflict (person_id, month, activity, cost_source) do update set
      events = ${s}.service_use_monthly.events + excluded.events,
      cost_gbp = ${s}.service_use_monthly.cost_gbp + excluded.cost_gbp`;
}

async function writeConditions(
  tx: Tx,
  schema: string,
  entries: ConditionEntry[],
  originOf: ReadonlyMap<string, string>,
): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((c) => ({
    event_id: c.eventId,
    person_id: c.personId,
    cluster: c.cluster,
    recorded_on: c.recordedOn,
    resolved_on: c.resolvedOn,
    origin_person_id: originOf.get(c.eventId) ?? null,
  }));
  const s = tx(schema);
  // One row per register entry (event): redelivery is a no-op.
  await tx`
    insert into ${s}.condition (event_id, person_id, cluster, recorded_on, resolved_on, origin_person_id)
    select * from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as x(
      event_id uuid, person_id text, cluster text, recorded_on date, resolved_on date,
      origin_person_id text)
    on conflict (event_id) do nothing`;
}
