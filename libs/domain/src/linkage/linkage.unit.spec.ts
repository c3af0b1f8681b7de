import {
  decideLinkage,
  evolveLinkage,
  initialLinkageState,
  recordLinkedFor,
  type LinkableEvent,
} from './linkage';

const ev = (eventId: string, personId: string | null, linkKey: string | null): LinkableEvent => ({
  eventId,
  data: { personId, linkKey },
});
const idFor = (parts: string[]) => parts.join('|');

describe('linkage', () => {
  describe('given nothing linked yet', () => {
    it('routes a record with an NHS number to its person stream', () => {
      const d = decideLinkage([ev('e1', 'p1', null)], initialLinkageState);
      expect(d.routed).toEqual([
        expect.objectContaining({ streamId: 'person-p1', linkage: 'nhs_number', personId: 'p1' }),
      ]);
      expect(d.newLinks).toEqual([]);
    });

    it('parks a record with only a link key in its unlinked stream', () => {
      const d = decideLinkage([ev('e1', null, 'k1')], initialLinkageState);
      expect(d.routed[0]).toMatchObject({ streamId: 'unlinked-k1', linkage: 'unlinked' });
    });

    it('parks a record with neither in its own unlinked-record stream', () => {
      const d = decideLinkage([ev('e1', null, null)], initialLinkageState);
      expect(d.routed[0]).toMatchObject({ streamId: 'unlinked-record-e1', linkage: 'unlinked' });
    });

    it('learns a link from a record carrying both, and links later records of the batch on it', () => {
      const d = decideLinkage([ev('e1', 'p1', 'k1'), ev('e2', null, 'k1')], initialLinkageState);
      expect(d.routed.map((r) => [r.streamId, r.linkage])).toEqual([
        ['person-p1', 'nhs_number'],
        ['person-p1', 'link_key'],
      ]);
      expect(d.newLinks).toEqual([{ linkKey: 'k1', personId: 'p1', unlinkedEventIds: [] }]);
    });

    it('links records parked earlier in the batch when the link appears', () => {
      const d = decideLinkage([ev('e1', null, 'k1'), ev('e2', 'p1', 'k1')], initialLinkageState);
      expect(d.routed[0].streamId).toBe('unlinked-k1');
      expect(d.newLinks).toEqual([{ linkKey: 'k1', personId: 'p1', unlinkedEventIds: ['e1'] }]);
    });
  });

  describe('given a known link', () => {
    const state = evolveLinkage(initialLinkageState, [
      { linkKey: 'k1', personId: 'p1', unlinkedEventIds: [] },
    ]);

    it('links a record with only that link key to the person', () => {
      const d = decideLinkage([ev('e3', null, 'k1')], state);
      expect(d.routed[0]).toMatchObject({ streamId: 'person-p1', linkage: 'link_key' });
    });

    it('keeps the first person for a link key (no new link for another NHS number)', () => {
      const d = decideLinkage([ev('e4', 'p2', 'k1')], state);
      expect(d.routed[0].streamId).toBe('person-p2');
      expect(d.newLinks).toEqual([]);
      expect(
        evolveLinkage(state, [{ linkKey: 'k1', personId: 'p2', unlinkedEventIds: [] }]).links.get(
          'k1',
        ),
      ).toBe('p1');
    });
  });

  describe('RecordLinked', () => {
    it('is nothing when no event waited', () => {
      expect(
        recordLinkedFor({ linkKey: 'k', personId: 'p' }, [], idFor, new Date(0)),
      ).toBeUndefined();
    });

    it('goes to the person stream with the waiting ids, sorted, deduplicated, with a stable id', () => {
      const a = recordLinkedFor(
        { linkKey: 'k', personId: 'p' },
        ['e2', 'e1', 'e2'],
        idFor,
        new Date(0),
      );
      const b = recordLinkedFor({ linkKey: 'k', personId: 'p' }, ['e1', 'e2'], idFor, new Date(1));
      expect(a).toMatchObject({
        streamId: 'person-p',
        event: {
          type: 'RecordLinked',
          data: { linkKey: 'k', personId: 'p', eventIds: ['e1', 'e2'] },
        },
      });
      expect(a!.event.eventId).toBe(b!.event.eventId);
    });
  });
});
