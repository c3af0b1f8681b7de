import { fileUnderCanonicalIds, pseudonymsNamed } from './pseudonym-rotation';

const rotation = (eventId: string, previousPersonId: string, personId: string) => ({
  eventId,
  type: 'PseudonymRotated',
  data: { kind: 'person', personId, previousPersonId, keyId: 'k2', previousKeyId: 'k1' },
});
const visit = (eventId: string, personId: string | null) => ({
  eventId,
  type: 'VisitRecorded',
  data: { personId, site: 'walton' },
});

describe('fileUnderCanonicalIds', () => {
  it('files a later pseudonym under the first one and drops the rotation event', () => {
    const { events, newAliases } = fileUnderCanonicalIds(
      [visit('e1', 'old'), rotation('r1', 'old', 'new'), visit('e2', 'new')],
      new Map(),
    );
    expect(events.map((e) => [e.eventId, e.data.personId])).toEqual([
      ['e1', 'old'],
      ['e2', 'old'],
    ]);
    expect([...newAliases]).toEqual([['new', 'old']]);
  });

  it('follows a chain of rotations to the first pseudonym, across batches', () => {
    const known = new Map([['second', 'first']]);
    const { events, newAliases } = fileUnderCanonicalIds(
      [rotation('r2', 'second', 'third'), visit('e3', 'third')],
      known,
    );
    expect(events[0].data.personId).toBe('first');
    expect([...newAliases]).toEqual([['third', 'first']]);
  });

  it('adds nothing for a rotation it already knows, nor for one onto itself', () => {
    const { newAliases } = fileUnderCanonicalIds(
      [rotation('r1', 'old', 'new'), rotation('r1b', 'old', 'new'), rotation('r0', 'x', 'x')],
      new Map([['new', 'old']]),
    );
    expect(newAliases.size).toBe(0);
  });

  it('leaves events without a person, link-key rotations and unknown pseudonyms as they are', () => {
    const walkIn = visit('e4', null);
    const linkKey = {
      eventId: 'r3',
      type: 'PseudonymRotated',
      data: { kind: 'link_key', linkKey: 'b', previousLinkKey: 'a' },
    };
    const { events, newAliases } = fileUnderCanonicalIds([walkIn, linkKey], new Map());
    expect(events).toEqual([walkIn]);
    expect(newAliases.size).toBe(0);
  });
});

describe('fileUnderCanonicalIds and merges', () => {
  it('files both persons of a merge decided under later pseudonyms', () => {
    const merge = {
      eventId: 'm1',
      type: 'PersonsMerged',
      data: { personId: 'new-b', survivorId: 'new-a' },
    };
    const { events } = fileUnderCanonicalIds(
      [merge],
      new Map([
        ['new-a', 'old-a'],
        ['new-b', 'old-b'],
      ]),
    );
    expect(events[0].data).toEqual({ personId: 'old-b', survivorId: 'old-a' });
    expect(merge.data).toEqual({ personId: 'new-b', survivorId: 'new-a' }); // not mutated
  });
});

describe('pseudonymsNamed', () => {
  it('names every person and every pseudonym rotated from, once', () => {
    expect(
      pseudonymsNamed([visit('e1', 'a'), visit('e2', 'a'), rotation('r', 'b', 'c')]).sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});
