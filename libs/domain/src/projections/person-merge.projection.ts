import type { LifeRoomsDoc } from './life-rooms.projection';
import { emptyProfile, evolvePersonProfile, type PersonProfile } from './person-profile.projection';
import { isLater, type ProjectedEvent } from './projected-event';

/**
 * Read models of merged persons (`PersonsMerged` / `PersonsSplit`). A survivor's profile keeps
 * each merged pseudonym's own profile under `origins` and is their combination; its Life Rooms
 * document marks the facts of merged persons in `origins`. Every step is a set union or a
 * "latest wins", so the result does not depend on whether the merge arrives before or after the
 * merged person's records, and a split gives each person exactly what it had alone.
 */

const SOURCE_RANK = { liferooms: 0, registration: 1 } as const;

function ownProfiles(doc: PersonProfile | null, personId: string): Record<string, PersonProfile> {
  if (!doc) return {};
  if (doc.origins) return doc.origins;
  return { [personId]: doc };
}

/** One profile from several: demographics and opt-out latest wins, registrations united, earliest death. */
export function combineProfiles(
  personId: string,
  origins: Record<string, PersonProfile>,
): PersonProfile {
  const out: PersonProfile = { ...emptyProfile(personId), registrations: [] };
  const byEvent = new Map<string, NonNullable<PersonProfile['registrations']>[number]>();
  for (const id of Object.keys(origins).sort()) {
    const p = origins[id];
    const from = p.demographicsFrom;
    const best = out.demographicsFrom;
    if (
      from &&
      (!best ||
        SOURCE_RANK[from.source] > SOURCE_RANK[best.source] ||
        (from.source === best.source && isLater(from.at, from.eventId, best.at, best.eventId)))
    ) {
      out.yearOfBirth = p.yearOfBirth;
      out.sex = p.sex;
      out.postcodeSector = p.postcodeSector;
      out.postcodeDistrict = p.postcodeDistrict;
      out.lsoa = p.lsoa;
      out.imdDecile = p.imdDecile;
      out.localAuthority = p.localAuthority;
      out.demographicsFrom = from;
    }
    for (const r of p.registrations ?? []) byEvent.set(r.eventId, r);
    if (p.deathDate !== null && (out.deathDate === null || p.deathDate < out.deathDate))
      out.deathDate = p.deathDate;
    const change = p.optOutChange;
    const last = out.optOutChange;
    if (change && (!last || isLater(change.at, change.eventId, last.at, last.eventId))) {
      out.optOutChange = change;
      out.optedOut = p.optedOut;
    }
  }
  out.registrations = [...byEvent.values()].sort((a, b) =>
    isLater(a.at, a.eventId, b.at, b.eventId) ? 1 : -1,
  );
  return { ...out, origins };
}

/**
 * Folds an event of `event.data.personId` into the profile of the person it is attributed to
 * (`ownerId`: itself, or the survivor it is merged into).
 */
export function evolveAttributedProfile(
  doc: PersonProfile | null,
  ownerId: string,
  event: ProjectedEvent,
): PersonProfile | null {
  const originId = typeof event.data.personId === 'string' ? event.data.personId : null;
  if (!originId) return doc;
  if (originId === ownerId && !doc?.origins) return evolvePersonProfile(doc, event);
  const origins = ownProfiles(doc, ownerId);
  const before = origins[originId] ?? null;
  const after = evolvePersonProfile(before, event);
  if (after === before || !after) return doc;
  return combineProfiles(ownerId, { ...origins, [originId]: after });
}

/** The survivor's profile once `merged` is merged into it. */
export function mergeProfiles(
  survivor: PersonProfile | null,
  survivorId: string,
  merged: PersonProfile | null,
  mergedId: string,
): PersonProfile | null {
  const origins = { ...ownProfiles(survivor, survivorId), ...ownProfiles(merged, mergedId) };
  if (Object.keys(origins).length === 0) return null;
  return combineProfiles(survivorId, origins);
}

/** Each person's profile once `mergedId` is split off the survivor. */
export function splitProfiles(
  survivor: PersonProfile | null,
  survivorId: string,
  mergedId: string,
): { survivor: PersonProfile | null; merged: PersonProfile | null } {
  const origins = { ...ownProfiles(survivor, survivorId) };
  const merged = origins[mergedId] ?? null;
  delete origins[mergedId];
  const ids = Object.keys(origins);
  const rest =
    ids.length === 0
      ? null
      : ids.length === 1 && ids[0] === survivorId
        ? origins[survivorId]
        : combineProfiles(survivorId, origins);
  return { survivor: rest, merged };
}

/** Marks a fact of the survivor's document as the merged person's (or clears the mark). */
export function withFactOrigin(
  doc: LifeRoomsDoc,
  eventId: string,
  originId: string | null,
): LifeRoomsDoc {
  const origins = { ...(doc.origins ?? {}) };
  if (originId === null) delete origins[eventId];
  else origins[eventId] = originId;
  const rest: LifeRoomsDoc = { subject: doc.subject, facts: doc.facts };
  return Object.keys(origins).length > 0 ? { ...rest, origins } : rest;
}

/** The survivor's Life Rooms document once the merged person's facts are moved into it. */
export function mergeLifeRoomsDocs(
  survivor: LifeRoomsDoc | null,
  survivorSubject: string,
  merged: LifeRoomsDoc | null,
  mergedId: string,
): LifeRoomsDoc | null {
  if (!merged) return survivor;
  const origins: Record<string, string> = { ...(survivor?.origins ?? {}) };
  for (const id of Object.keys(merged.facts)) origins[id] = merged.origins?.[id] ?? mergedId;
  return {
    subject: survivorSubject,
    facts: { ...merged.facts, ...(survivor?.facts ?? {}) },
    origins,
  };
}

/** Each person's Life Rooms document once `mergedId` is split off the survivor. */
export function splitLifeRoomsDocs(
  survivor: LifeRoomsDoc | null,
  survivorSubject: string,
  mergedSubject: string,
  mergedId: string,
): { survivor: LifeRoomsDoc | null; merged: LifeRoomsDoc | null } {
  if (!survivor) return { survivor: null, merged: null };
  const keep: LifeRoomsDoc['facts'] = {};
  const back: LifeRoomsDoc['facts'] = {};
  const origins: Record<string, string> = {};
  for (const [id, fact] of Object.entries(survivor.facts)) {
    const origin = survivor.origins?.[id];
    if (origin === mergedId) back[id] = fact;
    else {
      keep[id] = fact;
      if (origin) origins[id] = origin;
    }
  }
  const kept: LifeRoomsDoc | null =
    Object.keys(keep).length === 0
      ? null
      : Object.keys(origins).length > 0
        ? { subject: survivorSubject, facts: keep, origins }
        : { subject: survivorSubject, facts: keep };
  return {
    survivor: kept,
    merged: Object.keys(back).length === 0 ? null : { subject: mergedSubject, facts: back },
  };
}
