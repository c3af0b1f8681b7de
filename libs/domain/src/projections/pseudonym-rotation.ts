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
    if (typeof e.data.personId === 'string') ids.add(e.data.personId);
    const rotation = personRotationOf(e);
    if (rotation) ids.add(rotation.previousPersonId);
  }
  return [...ids];
}

/**
 * Files a batch's events under canonical ids. `known` maps pseudonyms already seen rotated to
 * their canonical id. Returns the batch without its rotation events (of people and of link keys), each other event with
 * `data.personId` replaced by its canonical id (events without one are returned as they are),
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
    const personId = e.data.personId;
    const root = typeof personId === 'string' ? canonical.get(personId) : undefined;
    filed.push(root ? { ...e, data: { ...e.data, personId: root } } : e);
  }
  return { events: filed, newAliases };
}
