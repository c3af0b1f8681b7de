import { personStream } from './linkage';

/**
 * Merge and split of NHS-numbered persons, decided purely. A merge says two pseudonyms are one
 * person (an NHS number corrected at source, or a duplicate registration found by a linkage
 * officer); a split withdraws a merge. Both are events on the merged person's stream; neither
 * pseudonym ever changes: consumers attribute the merged person's records to the survivor while
 * the merge stands, and back when it is split.
 *
 * Merges are one level deep on purpose: a merged person cannot absorb others, and a survivor
 * cannot itself be merged away while it holds merged persons (split first). Chains would make a
 * split ambiguous (which records go back where), and one level covers the corrections we know of.
 */

export type PersonMergeReason = 'nhs_number_correction' | 'duplicate_registration';
export const PERSON_MERGE_REASONS: readonly PersonMergeReason[] = [
  'nhs_number_correction',
  'duplicate_registration',
];
export type PersonSplitReason = 'nhs_number_correction' | 'merged_in_error';
export const PERSON_SPLIT_REASONS: readonly PersonSplitReason[] = [
  'nhs_number_correction',
  'merged_in_error',
];

export type PersonMergeCommand =
  | { type: 'MergePersons'; survivorId: string; mergedId: string; reason: PersonMergeReason }
  | { type: 'SplitPersons'; survivorId: string; mergedId: string; reason: PersonSplitReason };

/** What is known about the two persons of a command before it is decided. */
export interface PersonMergeState {
  /** The survivor the merged person is merged into now, or null. */
  mergedInto: string | null;
  /** Merge decisions on the merged person so far (part of each event's id). */
  version: number;
  /** The survivor is itself merged into someone. */
  survivorIsMerged: boolean;
  /** The merged person holds merged persons of its own. */
  mergedHasMerged: boolean;
}

export type PersonMergeRefusal =
  | 'same_person'
  | 'already_merged'
  | 'survivor_is_merged'
  | 'merged_has_merged_persons'
  | 'not_merged';

/** A merge or split the rules forbid; `reason` is a stable code, `field` the offending input. */
export class PersonMergeRefusedError extends Error {
  constructor(
    readonly reason: PersonMergeRefusal,
    readonly field: '/survivor' | '/merged',
  ) {
    super(`person merge refused: ${reason}`);
    this.name = 'PersonMergeRefusedError';
  }
}

export interface PersonsMerged {
  eventId: string;
  type: 'PersonsMerged';
  schemaVersion: 1;
  data: { personId: string; survivorId: string; reason: PersonMergeReason; decision: number };
  metadata: { receivedAt: string };
}

export interface PersonsSplit {
  eventId: string;
  type: 'PersonsSplit';
  schemaVersion: 1;
  data: { personId: string; survivorId: string; reason: PersonSplitReason; decision: number };
  metadata: { receivedAt: string };
}

export type PersonMergeEvent = PersonsMerged | PersonsSplit;
export const PERSON_MERGE_EVENT_TYPES = ['PersonsMerged', 'PersonsSplit'] as const;

export function isPersonMergeEvent(type: string): type is PersonMergeEvent['type'] {
  return (PERSON_MERGE_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Decides a merge or split. Returns the event to append to the merged person's stream, or
 * undefined when the command changes nothing (a repeated decision). Event ids are deterministic
 * from the two persons and the decision's number, so a retried decision appends nothing new.
 */
export function decidePersonMerge(
  command: PersonMergeCommand,
  state: PersonMergeState,
  idFor: (parts: string[]) => string,
  decidedAt: Date,
): { streamId: string; event: PersonMergeEvent } | undefined {
  const { survivorId, mergedId } = command;
  if (survivorId === mergedId) throw new PersonMergeRefusedError('same_person', '/merged');
  const decision = state.version + 1;
  const metadata = { receivedAt: decidedAt.toISOString() };
  switch (command.type) {
    case 'MergePersons': {
      if (state.mergedInto === survivorId) return undefined;
      if (state.mergedInto !== null) throw new PersonMergeRefusedError('already_merged', '/merged');
      if (state.survivorIsMerged)
        throw new PersonMergeRefusedError('survivor_is_merged', '/survivor');
      if (state.mergedHasMerged)
        throw new PersonMergeRefusedError('merged_has_merged_persons', '/merged');
      return {
        streamId: personStream(mergedId),
        event: {
          eventId: idFor(['PersonsMerged', mergedId, survivorId, String(decision)]),
          type: 'PersonsMerged',
          schemaVersion: 1,
          data: { personId: mergedId, survivorId, reason: command.reason, decision },
          metadata,
        },
      };
    }
    case 'SplitPersons': {
      if (state.mergedInto !== survivorId)
        throw new PersonMergeRefusedError('not_merged', '/merged');
      return {
        streamId: personStream(mergedId),
        event: {
          eventId: idFor(['PersonsSplit', mergedId, survivorId, String(decision)]),
          type: 'PersonsSplit',
          schemaVersion: 1,
          data: { personId: mergedId, survivorId, reason: command.reason, decision },
          metadata,
        },
      };
    }
    default: {
      const never: never = command;
      throw new RangeError(`unknown command ${(never as { type: string }).type}`);
    }
  }
}
