import type { ProjectedEvent } from './projected-event';

/**
 * After `linkage key rotate`, records arrive under a person's new pseudonym while the read
 * models hold everything under the old one. The read models keep the first pseudonym a person
 * had (their canonical id) and file every later pseudonym under it, so every count, match and
 * segment is the same after a rotation as before: nobody is split in two, and no tie-break or
 * bootstrap draw that orders people by pseudonym moves.
 */
export interface PseudonymRotation {
  /** The pseudonym under the new key. */
  personId: string;
  /** The pseudonym under the key before. */
  previousPersonId: string;
}

/** The fields of an event that name a person (`survivorId`: a merge of two persons). */
const PERSON_FIELDS = ['personId', 'survivorId'] as const;

/** The `PseudonymRotated` event of a person (link-key rotations concern the event writer). */
export function personRotationOf(event: ProjectedEvent): PseudonymRotation | undefined {
  if (event.type !== 'PseudonymRotated' || event.data.kind !== 'person') return undefined;
  const { personId, previousPersonId } = event.data;
  return typeof personId === 'string' && typeof previousPersonId === 'string'
    ? { personId, previousPersonId }
    : undefined;
}

/** Every pseudonym a batch names (and rotates from), whose canonical id must be known. */
export function pseudonymsNamed(events: readonly ProjectedEvent[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    for (const field of PERSON_FIELDS) {
      const id = e.data[field];
      if (typeof id === 'string') ids.add(id);
    }
    const rotation = personRotationOf(e);
    if (rotation) ids.add(rotation.previousPersonId);
  }
  return [...ids];
}

/**
 * Files a batch's events under canonical ids. `known` maps pseudonyms already seen rotated to
 * their canonical id. Returns the batch without its rotation events (of people and of link keys), each other event with
 * `data.personId` (and a merge's `survivorId`) replaced by its canonical id (events without one are returned as they are),
 * and the aliases the batch adds. Rotations chain: a second rotation's previous pseudonym may
 * itself be an alias.
 */
export function fileUnderCanonicalIds<E extends ProjectedEvent>(
  events: readonly E[],
  known: ReadonlyMap<string, string>,
): { events: E[]; newAliases: Map<string, string> } {
  const canonical = new Map(known);
  const newAliases = new Map<string, string>();
  const filed: E[] = [];
  for (const e of events) {
    if (e.type === 'PseudonymRotated') {
      const rotation = personRotationOf(e);
      const root =
        rotation && (canonical.get(rotation.previousPersonId) ?? rotation.previousPersonId);
      if (rotation && root && root !== rotation.personId && !canonical.has(rotation.personId)) {
        canonical.set(rotation.personId, root);
        newAliases.set(rotation.personId, root);
      }
      continue;
    }
    let data: Record<string, unknown> | undefined;
    for (const field of PERSON_FIELDS) {
      const id = e.data[field];
      const root = typeof id === 'string' ? canonical.get(id) : undefined;
      if (root) data = { ...(data ?? e.data), [field]: root };
    }
    filed.push(data ? { ...e, data } : e);
  }
  return { events: filed, newAliases };
}
