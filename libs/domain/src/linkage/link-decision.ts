import { personStream } from './linkage';
import type { ComparedField } from './fellegi-sunter';

/**
 * Link decisions for records without a (valid) NHS number. Decided in one place (the event
 * writer calls these) and recorded as events: `RecordLinked` when a record is attributed to a
 * person, `RecordUnlinked` when a decision is withdrawn (a better candidate, or a clerical
 * rejection). A changed decision is a new event, never an edit; person ids never change.
 */

/** Match weight at or above which a record links; between the two, it goes to clerical review. */
export interface LinkThresholds {
  match: number;
  review: number;
}

export const DEFAULT_THRESHOLDS: LinkThresholds = { match: 10, review: 4 };

/** How a link was decided. */
export type LinkMethod = 'link_key' | 'fuzzy' | 'clerical';

/** One scored candidate: a person and the best comparison of the record with that person. */
export interface ScoredCandidate {
  personId: string;
  weight: number;
  similarities: Record<ComparedField, number | null>;
}

/** Where a record stands: linked to a person, waiting for review, or unlinked. */
export interface RecordLinkState {
  status: 'linked' | 'review' | 'unlinked';
  personId: string | null;
  weight: number | null;
  method: LinkMethod | null;
  /** Decisions so far (part of each decision event's id, so a relink is a new event). */
  version: number;
  /** Set by a clerical decision: the automatic linker leaves the record alone from then on. */
  clerical?: boolean;
}

export const UNDECIDED: RecordLinkState = {
  status: 'unlinked',
  personId: null,
  weight: null,
  method: null,
  version: 0,
};

/** The best candidate (highest weight; ties to the smaller person id, so order never matters). */
export function bestCandidate(candidates: readonly ScoredCandidate[]): ScoredCandidate | undefined {
  let best: ScoredCandidate | undefined;
  for (const c of candidates) {
    if (!best || c.weight > best.weight || (c.weight === best.weight && c.personId < best.personId))
      best = c;
  }
  return best;
}

/** A change of a record's link: what to record. */
export interface LinkChange {
  eventId: string;
  unlink?: { personId: string; reason: 'better_candidate' | 'clerical_reject' };
  link?: {
    personId: string;
    weight: number;
    method: LinkMethod;
    similarities: ScoredCandidate['similarities'];
  };
  next: RecordLinkState;
}

/**
 * Decides a record's link from its candidates (all it is known to resemble, including any seen
 * before). The best candidate at or above the match threshold wins; a better one later moves the
 * link (unlink, then link); in the review band the record waits for a linkage officer. Returns
 * undefined when nothing changes. A clerically decided record is never moved automatically.
 */
export function decideRecordLink(
  eventId: string,
  current: RecordLinkState,
  candidates: readonly ScoredCandidate[],
  thresholds: LinkThresholds,
): LinkChange | undefined {
  if (current.clerical) return undefined;
  const best = bestCandidate(candidates);
  if (!best || best.weight < thresholds.review) return undefined;
  if (current.status === 'linked') {
    if (best.personId === current.personId) return undefined;
    if (current.weight !== null && best.weight <= current.weight) return undefined;
    if (best.weight < thresholds.match) return undefined;
  }
  if (best.weight < thresholds.match) {
    if (current.status === 'review' && current.weight !== null && best.weight <= current.weight)
      return undefined;
    return {
      eventId,
      next: { ...current, status: 'review', personId: best.personId, weight: best.weight },
    };
  }
  const version = current.version + 1;
  return {
    eventId,
    ...(current.status === 'linked' && current.personId
      ? { unlink: { personId: current.personId, reason: 'better_candidate' as const } }
      : {}),
    link: {
      personId: best.personId,
      weight: best.weight,
      method: 'fuzzy',
      similarities: best.similarities,
    },
    next: {
      status: 'linked',
      personId: best.personId,
      weight: best.weight,
      method: 'fuzzy',
      version,
    },
  };
}

/** A clerical decision on a record in the review band (or a linked one, to reject it). */
export function decideClerically(
  eventId: string,
  current: RecordLinkState,
  candidate: ScoredCandidate,
  decision: 'accept' | 'reject',
): LinkChange | undefined {
  const version = current.version + 1;
  if (decision === 'accept') {
    if (current.status === 'linked' && current.personId === candidate.personId)
      return { eventId, next: { ...current, clerical: true } };
    return {
      eventId,
      ...(current.status === 'linked' && current.personId
        ? { unlink: { personId: current.personId, reason: 'clerical_reject' as const } }
        : {}),
      link: {
        personId: candidate.personId,
        weight: candidate.weight,
        method: 'clerical',
        similarities: candidate.similarities,
      },
      next: {
        status: 'linked',
        personId: candidate.personId,
        weight: candidate.weight,
        method: 'clerical',
        version,
        clerical: true,
      },
    };
  }
  if (current.status === 'linked' && current.personId === candidate.personId) {
    return {
      eventId,
      unlink: { personId: candidate.personId, reason: 'clerical_reject' },
      next: {
        status: 'unlinked',
        personId: null,
        weight: null,
        method: null,
        version,
        clerical: true,
      },
    };
  }
  return {
    eventId,
    next: {
      status: 'unlinked',
      personId: null,
      weight: null,
      method: null,
      version: current.version,
      clerical: true,
    },
  };
}

/** A link decision event, ready to append to the person's stream. */
export interface LinkDecisionEvent {
  streamId: string;
  event: {
    eventId: string;
    type: 'RecordLinked' | 'RecordUnlinked';
    schemaVersion: 1;
    data: Record<string, unknown>;
    metadata: { receivedAt: string };
  };
}

/**
 * The events of a change (unlink first, then link). Ids are deterministic from the record, the
 * person and the decision's version, so a redelivered batch appends nothing new. Similarities
 * are field-level scores only (never identifiers), rounded to two places.
 */
export function linkChangeEvents(
  change: LinkChange,
  idFor: (parts: string[]) => string,
  decidedAt: Date,
): LinkDecisionEvent[] {
  const out: LinkDecisionEvent[] = [];
  const version = String(change.next.version);
  const metadata = { receivedAt: decidedAt.toISOString() };
  if (change.unlink) {
    out.push({
      streamId: personStream(change.unlink.personId),
      event: {
        eventId: idFor(['RecordUnlinked', change.eventId, change.unlink.personId, version]),
        type: 'RecordUnlinked',
        schemaVersion: 1,
        data: {
          personId: change.unlink.personId,
          eventIds: [change.eventId],
          reason: change.unlink.reason,
        },
        metadata,
      },
    });
  }
  if (change.link) {
    const evidence: Record<string, number | null> = {};
    for (const [f, s] of Object.entries(change.link.similarities))
      evidence[f] = s === null ? null : Math.round(s * 100) / 100;
    out.push({
      streamId: personStream(change.link.personId),
      event: {
        eventId: idFor(['RecordLinked', change.eventId, change.link.personId, version]),
        type: 'RecordLinked',
        schemaVersion: 1,
        data: {
          personId: change.link.personId,
          eventIds: [change.eventId],
          method: change.link.method,
          weight: Math.round(change.link.weight * 100) / 100,
          evidence,
        },
        metadata,
      },
    });
  }
  return out;
}
