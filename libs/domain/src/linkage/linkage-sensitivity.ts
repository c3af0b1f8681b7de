import { summariseLifeRooms, type LifeRoomsFact } from '../projections/life-rooms.projection';

/**
 * Linkage sensitivity: who each record without an NHS number would belong to at another match
 * threshold, and the cohort's index dates that follow. Analytics re-runs the headline estimate on
 * them to show how linkage error moves it (a lower threshold links more, some wrongly; a higher
 * one links fewer). Clerical decisions stand at every threshold: an officer's word is not a score.
 */

/** One compared pair: a record without an NHS number and a person it resembles, with its weight. */
export interface ScoredPair {
  eventId: string;
  personId: string;
  weight: number;
}

/**
 * The person each record links to at `threshold`: its best candidate (highest weight, ties to the
 * smaller person id, as the live linker) when at or above it; `clerical` overrides (null: a
 * rejected record stays unlinked).
 */
export function attributeAtThreshold(
  pairs: readonly ScoredPair[],
  threshold: number,
  clerical: ReadonlyMap<string, string | null> = new Map(),
): Map<string, string> {
  const best = new Map<string, ScoredPair>();
  for (const p of pairs) {
    const b = best.get(p.eventId);
    if (!b || p.weight > b.weight || (p.weight === b.weight && p.personId < b.personId))
      best.set(p.eventId, p);
  }
  const out = new Map<string, string>();
  for (const [eventId, p] of best) if (p.weight >= threshold) out.set(eventId, p.personId);
  for (const [eventId, personId] of clerical) {
    if (personId === null) out.delete(eventId);
    else out.set(eventId, personId);
  }
  return out;
}

/**
 * Index dates (first Life Rooms contact) per person when the records without an NHS number are
 * attributed by `links`: `own` holds each person's other facts, `walkIns` the facts of the
 * records without one (by event id). `ownerOf` resolves a merged person to its survivor.
 */
export function indexDatesWith(
  own: ReadonlyMap<string, Record<string, LifeRoomsFact>>,
  walkIns: ReadonlyMap<string, LifeRoomsFact>,
  links: ReadonlyMap<string, string>,
  ownerOf: (personId: string) => string = (id) => id,
): Map<string, string> {
  const facts = new Map<string, Record<string, LifeRoomsFact>>();
  for (const [personId, f] of own) facts.set(personId, { ...f });
  for (const [eventId, personId] of links) {
    const fact = walkIns.get(eventId);
    if (!fact) continue;
    const owner = ownerOf(personId);
    facts.set(owner, { ...(facts.get(owner) ?? {}), [eventId]: fact });
  }
  const out = new Map<string, string>();
  for (const [personId, f] of facts) {
    const { indexDate } = summariseLifeRooms({ subject: `person:${personId}`, facts: f });
    if (indexDate) out.set(personId, indexDate);
  }
  return out;
}
