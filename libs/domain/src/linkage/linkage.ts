/**
 * Record linkage, decided purely. A record carrying an NHS number links on its pseudonym
 * (`personId`). A Life Rooms record without one links on its `linkKey` (keyed hash of names, date
 * of birth and postcode) when an earlier record carried both that link key and an NHS number;
 * otherwise it waits in an `unlinked-<linkKey>` stream until such a record arrives, and the link
 * is then recorded as a `RecordLinked` event on the person's stream.
 */

/** How a record was attributed to a person. */
export type LinkageMethod = 'nhs_number' | 'link_key' | 'fuzzy' | 'clerical' | 'unlinked';

/** The part of a canonical event linkage looks at. */
export interface LinkableEvent {
  eventId: string;
  data: { personId?: string | null; linkKey?: string | null };
}

/** What the linkage index knows: link key -> person pseudonym. */
export interface LinkageState {
  readonly links: ReadonlyMap<string, string>;
}

export const initialLinkageState: LinkageState = { links: new Map() };

/** The stream an event is appended to, and how it was linked. */
export interface RoutedEvent<E extends LinkableEvent> {
  event: E;
  streamId: string;
  linkage: LinkageMethod;
  personId: string | null;
}

/** A link key seen for the first time together with an NHS number. */
export interface NewLink {
  linkKey: string;
  personId: string;
  /** Events of this batch that went to `unlinked-<linkKey>` before the link appeared. */
  unlinkedEventIds: string[];
}

export interface LinkageDecision<E extends LinkableEvent> {
  routed: RoutedEvent<E>[];
  newLinks: NewLink[];
}

export const personStream = (personId: string): string => `person-${personId}`;
export const unlinkedStream = (linkKey: string): string => `unlinked-${linkKey}`;
export const unlinkedRecordStream = (eventId: string): string => `unlinked-record-${eventId}`;

/**
 * Routes a batch of canonical events (in order) given what is already linked. The first person
 * seen with a link key wins; a later record with the same link key and another NHS number keeps
 * its own person stream and does not move the link (a known gap: it needs a human to resolve).
 */
export function decideLinkage<E extends LinkableEvent>(
  events: readonly E[],
  state: LinkageState,
): LinkageDecision<E> {
  const links = new Map(state.links);
  const fresh = new Map<string, NewLink>();
  const pendingUnlinked = new Map<string, string[]>();
  const routed: RoutedEvent<E>[] = [];
  for (const event of events) {
    const personId = event.data.personId ?? null;
    const linkKey = event.data.linkKey ?? null;
    if (personId) {
      routed.push({ event, streamId: personStream(personId), linkage: 'nhs_number', personId });
      if (linkKey && !links.has(linkKey)) {
        links.set(linkKey, personId);
        fresh.set(linkKey, {
          linkKey,
          personId,
          unlinkedEventIds: pendingUnlinked.get(linkKey) ?? [],
        });
        pendingUnlinked.delete(linkKey);
      }
      continue;
    }
    if (linkKey) {
      const known = links.get(linkKey);
      if (known) {
        routed.push({ event, streamId: personStream(known), linkage: 'link_key', personId: known });
      } else {
        routed.push({
          event,
          streamId: unlinkedStream(linkKey),
          linkage: 'unlinked',
          personId: null,
        });
        pendingUnlinked.set(linkKey, [...(pendingUnlinked.get(linkKey) ?? []), event.eventId]);
      }
      continue;
    }
    routed.push({
      event,
      streamId: unlinkedRecordStream(event.eventId),
      linkage: 'unlinked',
      personId: null,
    });
  }
  return { routed, newLinks: [...fresh.values()] };
}

/** Folds a decision's new links into the state (what the link-key table will hold). */
export function evolveLinkage(state: LinkageState, links: readonly NewLink[]): LinkageState {
  if (links.length === 0) return state;
  const next = new Map(state.links);
  for (const link of links) if (!next.has(link.linkKey)) next.set(link.linkKey, link.personId);
  return { links: next };
}

/** `RecordLinked`: the events waiting under a link key now belong to a person. */
export interface RecordLinked {
  eventId: string;
  type: 'RecordLinked';
  schemaVersion: 1;
  data: { linkKey: string; personId: string; eventIds: string[]; method: 'link_key' };
  metadata: { receivedAt: string };
}

/**
 * The `RecordLinked` event for a new link, or nothing when no event was waiting. `idFor` makes
 * the deterministic event id (so a redelivered batch appends nothing new); `linkedAt` is passed
 * in because the domain has no clock.
 */
export function recordLinkedFor(
  link: { linkKey: string; personId: string },
  waitingEventIds: readonly string[],
  idFor: (parts: string[]) => string,
  linkedAt: Date,
): { streamId: string; event: RecordLinked } | undefined {
  if (waitingEventIds.length === 0) return undefined;
  const eventIds = [...new Set(waitingEventIds)].sort();
  return {
    streamId: personStream(link.personId),
    event: {
      eventId: idFor(['RecordLinked', link.linkKey, link.personId, ...eventIds]),
      type: 'RecordLinked',
      schemaVersion: 1,
      data: { linkKey: link.linkKey, personId: link.personId, eventIds, method: 'link_key' },
      metadata: { receivedAt: linkedAt.toISOString() },
    },
  };
}
