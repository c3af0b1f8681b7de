import {
  DEFAULT_THRESHOLDS,
  UNDECIDED,
  bestCandidate,
  decideClerically,
  decideRecordLink,
  linkChangeEvents,
  type RecordLinkState,
  type ScoredCandidate,
} from './link-decision';

const sims = { givenName: 1, familyName: 1, dateOfBirth: 1, postcode: 0.2, sex: 1 };
const cand = (personId: string, weight: number): ScoredCandidate => ({
  personId,
  weight,
  similarities: sims,
});
const linked = (personId: string, weight: number, version = 1): RecordLinkState => ({
  status: 'linked',
  personId,
  weight,
  method: 'fuzzy',
  version,
});
const T = DEFAULT_THRESHOLDS;

describe('link decisions', () => {
  describe('given an undecided record', () => {
    it('links to the best candidate at or above the match threshold', () => {
      const change = decideRecordLink('e1', UNDECIDED, [cand('b', 12), cand('a', 20)], T);
      expect(change?.link).toMatchObject({ personId: 'a', weight: 20, method: 'fuzzy' });
      expect(change?.unlink).toBeUndefined();
      expect(change?.next).toMatchObject({ status: 'linked', personId: 'a', version: 1 });
    });

    it('sends a candidate in the band to clerical review, without a link', () => {
      const change = decideRecordLink('e1', UNDECIDED, [cand('a', T.review + 1)], T);
      expect(change?.link).toBeUndefined();
      expect(change?.next).toMatchObject({ status: 'review', personId: 'a', version: 0 });
    });

    it('does nothing below the review band or without candidates', () => {
      expect(decideRecordLink('e1', UNDECIDED, [cand('a', T.review - 0.1)], T)).toBeUndefined();
      expect(decideRecordLink('e1', UNDECIDED, [], T)).toBeUndefined();
    });

    it('breaks ties by person id, so the order of candidates never matters', () => {
      expect(bestCandidate([cand('b', 15), cand('a', 15)])?.personId).toBe('a');
      expect(bestCandidate([cand('a', 15), cand('b', 15)])?.personId).toBe('a');
    });
  });

  describe('given a linked record', () => {
    it('moves the link to a better candidate: unlink, then link, as a new version', () => {
      const change = decideRecordLink('e1', linked('a', 12), [cand('b', 20)], T);
      expect(change?.unlink).toEqual({ personId: 'a', reason: 'better_candidate' });
      expect(change?.link?.personId).toBe('b');
      expect(change?.next.version).toBe(2);
    });

    it('keeps the link when the newcomer is not better, or is the same person', () => {
      expect(decideRecordLink('e1', linked('a', 20), [cand('b', 20)], T)).toBeUndefined();
      expect(decideRecordLink('e1', linked('a', 20), [cand('b', 15)], T)).toBeUndefined();
      expect(decideRecordLink('e1', linked('a', 12), [cand('a', 25)], T)).toBeUndefined();
    });

    it('never moves a clerically decided record', () => {
      const state = { ...linked('a', 5), clerical: true };
      expect(decideRecordLink('e1', state, [cand('b', 30)], T)).toBeUndefined();
    });
  });

  describe('clerical decisions', () => {
    it('accepting a candidate links it and pins the record', () => {
      const change = decideClerically(
        'e1',
        { ...UNDECIDED, status: 'review' },
        cand('a', 6),
        'accept',
      );
      expect(change?.link).toMatchObject({ personId: 'a', method: 'clerical' });
      expect(change?.next).toMatchObject({ status: 'linked', clerical: true, version: 1 });
    });

    it('rejecting the linked person unlinks it', () => {
      const change = decideClerically('e1', linked('a', 11), cand('a', 11), 'reject');
      expect(change?.unlink).toEqual({ personId: 'a', reason: 'clerical_reject' });
      expect(change?.next).toMatchObject({ status: 'unlinked', personId: null, clerical: true });
    });

    it('rejecting a candidate in review leaves the record unlinked, with no event', () => {
      const change = decideClerically(
        'e1',
        { ...UNDECIDED, status: 'review', personId: 'a', weight: 6 },
        cand('a', 6),
        'reject',
      );
      expect(change?.link).toBeUndefined();
      expect(change?.unlink).toBeUndefined();
      expect(change?.next.status).toBe('unlinked');
    });
  });

  describe('decision events', () => {
    const idFor = (parts: string[]) => parts.join('/');
    const at = new Date('2024-01-01T00:00:00Z');

    it('are RecordUnlinked then RecordLinked on the persons\u2019 streams, with score and evidence', () => {
      const change = decideRecordLink('e1', linked('a', 12), [cand('b', 20.123)], T)!;
      const events = linkChangeEvents(change, idFor, at);
      expect(events.map((e) => [e.streamId, e.event.type])).toEqual([
        ['person-a', 'RecordUnlinked'],
        ['person-b', 'RecordLinked'],
      ]);
      expect(events[1].event.data).toEqual({
        personId: 'b',
        eventIds: ['e1'],
        method: 'fuzzy',
        weight: 20.12,
        evidence: sims,
      });
    });

    it('have ids from record, person and version: a relink to the same person is a new event', () => {
      const first = linkChangeEvents(
        decideRecordLink('e1', UNDECIDED, [cand('a', 20)], T)!,
        idFor,
        at,
      );
      const again = linkChangeEvents(
        decideClerically('e1', { ...UNDECIDED, version: 2 }, cand('a', 20), 'accept')!,
        idFor,
        at,
      );
      expect(first[0].event.eventId).not.toBe(again[0].event.eventId);
    });
  });
});
