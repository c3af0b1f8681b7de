import type { Exclusion, PersonEvaluation } from './evaluate';

/**
 * Segment membership, event-sourced: one stream per ruleset holds who was placed in or taken out
 * of which segment, by which run, under which ruleset version and why. A run records only
 * changes, so replaying the stream gives the membership after any run, and a person's events
 * (by pseudonym) show why they were placed.
 */
export const SEGMENT_EVENT_TYPES = ['SegmentMemberAssigned', 'SegmentMemberRemoved'] as const;

export interface SegmentRunContext {
  runId: string;
  rulesetId: string;
  rulesetVersion: string;
  /** The date the rules were evaluated as of. */
  asOf: string;
}

export interface SegmentMemberAssigned {
  type: 'SegmentMemberAssigned';
  data: SegmentRunContext & { segment: string; personId: string; criteria: string[] };
}

export type RemovalReason = 'no_longer_matches' | Exclusion;

export interface SegmentMemberRemoved {
  type: 'SegmentMemberRemoved';
  data: SegmentRunContext & { segment: string; personId: string; reason: RemovalReason };
}

export type SegmentMembershipEvent = SegmentMemberAssigned | SegmentMemberRemoved;

/** A current member: the run that placed them and the criteria it matched. */
export interface Membership {
  runId: string;
  criteria: string[];
}

/** Current members of every segment of one ruleset: segment -> person -> membership. */
export interface MembershipState {
  members: Map<string, Map<string, Membership>>;
}

export const initialMembershipState = (): MembershipState => ({ members: new Map() });

/** Folds one membership event into the state (mutates and returns it: replay builds large states). */
export function evolveMembership(
  state: MembershipState,
  event: SegmentMembershipEvent,
): MembershipState {
  const { segment, personId } = event.data;
  switch (event.type) {
    case 'SegmentMemberAssigned': {
      let members = state.members.get(segment);
      if (!members) state.members.set(segment, (members = new Map()));
      members.set(personId, { runId: event.data.runId, criteria: event.data.criteria });
      return state;
    }
    case 'SegmentMemberRemoved':
      state.members.get(segment)?.delete(personId);
      return state;
    default: {
      const never: never = event;
      throw new Error(`unknown membership event ${(never as { type: string }).type}`);
    }
  }
}

/** A run of a ruleset over a population: every evaluated person (people not evaluated keep no segment). */
export interface RecordSegmentRun {
  context: SegmentRunContext;
  evaluations: Iterable<PersonEvaluation>;
}

/**
 * Decides the events of a run: an assignment for every placement not yet recorded, a removal for
 * every recorded member no longer placed (with why: opted out, died, or no longer matching).
 * Anyone in the state but not among the evaluations (no longer in the read models) is removed.
 * No change, no event: a run over the same data and ruleset emits nothing.
 */
export function decideSegmentRun(
  command: RecordSegmentRun,
  state: MembershipState,
): SegmentMembershipEvent[] {
  const { context } = command;
  const events: SegmentMembershipEvent[] = [];
  const placedNow = new Map<string, Set<string>>(); // segment -> persons
  const exclusions = new Map<string, Exclusion>();
  for (const evaluation of command.evaluations) {
    if (evaluation.excluded) exclusions.set(evaluation.personId, evaluation.excluded);
    for (const p of evaluation.placements) {
      let set = placedNow.get(p.segment);
      if (!set) placedNow.set(p.segment, (set = new Set()));
      set.add(evaluation.personId);
      if (!state.members.get(p.segment)?.has(evaluation.personId)) {
        events.push({
          type: 'SegmentMemberAssigned',
          data: {
            ...context,
            segment: p.segment,
            personId: evaluation.personId,
            criteria: p.criteria,
          },
        });
      }
    }
  }
  for (const [segment, members] of [...state.members].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const still = placedNow.get(segment);
    for (const personId of members.keys()) {
      if (still?.has(personId)) continue;
      events.push({
        type: 'SegmentMemberRemoved',
        data: {
          ...context,
          segment,
          personId,
          reason: exclusions.get(personId) ?? 'no_longer_matches',
        },
      });
    }
  }
  return events;
}

/** Segment sizes of a membership state. */
export function segmentSizes(state: MembershipState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [segment, members] of state.members) if (members.size > 0) out[segment] = members.size;
  return out;
}
