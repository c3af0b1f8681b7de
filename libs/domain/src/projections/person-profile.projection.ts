import { isLater, ProjectedEvent } from './projected-event';

/**
 * A person's pseudonymised profile: demographics from the latest registration (a later
 * registration supersedes: the person moved), death date and National Data Opt-out status.
 * Life Rooms records fill in demographics only while no registration has been seen.
 */
export interface PersonProfile {
  personId: string;
  yearOfBirth: number | null;
  sex: string | null;
  postcodeSector: string | null;
  postcodeDistrict: string | null;
  lsoa: string | null;
  imdDecile: number | null;
  localAuthority: string | null;
  /** Where the demographics came from, and the event that set them (for "later wins"). */
  demographicsFrom: { source: 'registration' | 'liferooms'; at: string; eventId: string } | null;
  /**
   * Every registration seen, in order of occurrence: the evaluation reads the IMD decile in
   * force at a user's index date from it (the latest registration can be after that date).
   * Absent in documents written before it existed (read as empty).
   */
  registrations?: RegistrationSpell[];
  deathDate: string | null;
  optedOut: boolean;
  /** The opt-out or withdrawal that set `optedOut` (latest by occurrence). */
  optOutChange: { at: string; eventId: string } | null;
  /**
   * Set only on a survivor of a merge: each merged pseudonym's own profile (the survivor's too),
   * from which this one is combined, so that a split can hand each its own back.
   */
  origins?: Record<string, PersonProfile>;
}

/** One registration: from when, the IMD decile of its address, and the event (for redelivery). */
export interface RegistrationSpell {
  at: string;
  imdDecile: number | null;
  eventId: string;
}

export function emptyProfile(personId: string): PersonProfile {
  return {
    personId,
    yearOfBirth: null,
    sex: null,
    postcodeSector: null,
    postcodeDistrict: null,
    lsoa: null,
    imdDecile: null,
    localAuthority: null,
    demographicsFrom: null,
    deathDate: null,
    optedOut: false,
    optOutChange: null,
  };
}

const SOURCE_RANK = { liferooms: 0, registration: 1 } as const;

/**
 * Folds one event into a profile. Idempotent and order-independent: every field is "latest by
 * (occurredAt, eventId)" or a minimum, so a redelivered or late event leaves the right state.
 * Returns the document unchanged (or null) for events about nobody or not about profiles.
 */
export function evolvePersonProfile(
  doc: PersonProfile | null,
  event: ProjectedEvent,
): PersonProfile | null {
  const personId = typeof event.data.personId === 'string' ? event.data.personId : null;
  if (!personId) return doc;
  const at = String(event.data.occurredAt);
  const current = doc ?? emptyProfile(personId);
  switch (event.type) {
    case 'PersonRegistered':
      return withRegistration(withDemographics(current, event, 'registration', at), event, at);
    case 'PersonDied': {
      const date = at.slice(0, 10);
      if (current.deathDate !== null && current.deathDate <= date) return current;
      return { ...current, deathDate: date };
    }
    case 'OptOutRecorded':
    case 'OptOutWithdrawn': {
      const last = current.optOutChange;
      if (last && !isLater(at, event.eventId, last.at, last.eventId)) return current;
      return {
        ...current,
        optedOut: event.type === 'OptOutRecorded',
        optOutChange: { at, eventId: event.eventId },
      };
    }
    default:
      if (event.data.source === 'liferooms' && hasDemographics(event.data)) {
        return withDemographics(current, event, 'liferooms', at);
      }
      return doc;
  }
}

function withRegistration(doc: PersonProfile, event: ProjectedEvent, at: string): PersonProfile {
  const spells = doc.registrations ?? [];
  if (spells.some((r) => r.eventId === event.eventId)) return doc;
  const decile = event.data.imdDecile;
  const spell: RegistrationSpell = {
    at,
    imdDecile: typeof decile === 'number' ? decile : null,
    eventId: event.eventId,
  };
  const registrations = [...spells, spell].sort((a, b) =>
    isLater(a.at, a.eventId, b.at, b.eventId) ? 1 : -1,
  );
  return { ...doc, registrations };
}

function hasDemographics(data: Record<string, unknown>): boolean {
  return data.yearOfBirth !== undefined || data.postcodeSector !== undefined;
}

function withDemographics(
  doc: PersonProfile,
  event: ProjectedEvent,
  source: 'registration' | 'liferooms',
  at: string,
): PersonProfile {
  const from = doc.demographicsFrom;
  if (from) {
    const rank = SOURCE_RANK[source] - SOURCE_RANK[from.source];
    if (rank < 0 || (rank === 0 && !isLater(at, event.eventId, from.at, from.eventId))) return doc;
  }
  const d = event.data;
  const pick = <T>(value: unknown, fallback: T): T =>
    value === undefined ? fallback : (value as T);
  return {
    ...doc,
    yearOfBirth: pick(d.yearOfBirth, doc.yearOfBirth),
    sex: pick(d.sex, doc.sex),
    postcodeSector: pick(d.postcodeSector, doc.postcodeSector),
    postcodeDistrict: pick(d.postcodeDistrict, doc.postcodeDistrict),
    lsoa: pick(d.lsoa, doc.lsoa),
    imdDecile: pick(d.imdDecile, doc.imdDecile),
    localAuthority: pick(d.localAuthority, doc.localAuthority),
    demographicsFrom: { source, at, eventId: event.eventId },
  };
}
