import {
  decidePersonMerge,
  PersonMergeRefusedError,
  type PersonMergeCommand,
  type PersonMergeState,
} from './person-merge';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const idFor = (parts: string[]) => parts.join('/');
const at = new Date('2024-01-01T00:00:00Z');
const FREE: PersonMergeState = {
  mergedInto: null,
  version: 0,
  survivorIsMerged: false,
  mergedHasMerged: false,
};
const merge: PersonMergeCommand = {
  type: 'MergePersons',
  survivorId: A,
  mergedId: B,
  reason: 'duplicate_registration',
};
const split: PersonMergeCommand = {
  type: 'SplitPersons',
  survivorId: A,
  mergedId: B,
  reason: 'merged_in_error',
};

function refusal(command: PersonMergeCommand, state: PersonMergeState): string {
  try {
    decidePersonMerge(command, state, idFor, at);
  } catch (error) {
    if (error instanceof PersonMergeRefusedError) return `${error.field}:${error.reason}`;
    throw error;
  }
  return 'decided';
}

describe('decidePersonMerge', () => {
  describe('given two persons not merged', () => {
    it('merges: PersonsMerged on the merged person stream, numbered', () => {
      expect(decidePersonMerge(merge, FREE, idFor, at)).toEqual({
        streamId: `person-${B}`,
        event: {
          eventId: `PersonsMerged/${B}/${A}/1`,
          type: 'PersonsMerged',
          schemaVersion: 1,
          data: { personId: B, survivorId: A, reason: 'duplicate_registration', decision: 1 },
          metadata: { receivedAt: at.toISOString() },
        },
      });
    });

    it('refuses a split', () => {
      expect(refusal(split, FREE)).toBe('/merged:not_merged');
    });

    it('refuses to merge a person into itself', () => {
      expect(refusal({ ...merge, survivorId: B }, FREE)).toBe('/merged:same_person');
    });

    it.each([
      [{ survivorIsMerged: true }, '/survivor:survivor_is_merged'],
      [{ mergedHasMerged: true }, '/merged:merged_has_merged_persons'],
    ])('refuses chains of merges (%j)', (state, expected) => {
      expect(refusal(merge, { ...FREE, ...state })).toBe(expected);
    });
  });

  describe('given B merged into A', () => {
    const MERGED: PersonMergeState = { ...FREE, mergedInto: A, version: 1 };

    it('appends nothing for the same merge again', () => {
      expect(decidePersonMerge(merge, MERGED, idFor, at)).toBeUndefined();
    });

    it('refuses a merge into someone else', () => {
      expect(refusal({ ...merge, survivorId: 'c'.repeat(32) }, MERGED)).toBe(
        '/merged:already_merged',
      );
    });

    it('splits with a new, numbered event (a changed decision is a new event)', () => {
      const decided = decidePersonMerge(split, MERGED, idFor, at);
      expect(decided?.event).toMatchObject({
        eventId: `PersonsSplit/${B}/${A}/2`,
        type: 'PersonsSplit',
        data: { personId: B, survivorId: A, reason: 'merged_in_error', decision: 2 },
      });
    });
  });

  describe('given B merged and split again', () => {
    it('merges again under a new event id', () => {
      const decided = decidePersonMerge(merge, { ...FREE, version: 2 }, idFor, at);
      expect(decided?.event.eventId).toBe(`PersonsMerged/${B}/${A}/3`);
    });
  });
});
