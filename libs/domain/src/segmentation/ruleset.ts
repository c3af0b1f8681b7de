/**
 * The declarative ruleset format: a versioned file of segments, each with criteria written in a
 * small closed language (below). `validateRuleset` checks a file against it and names the rule
 * and the fault of the first problems it finds; `evaluatePerson` applies it as of a date.
 */

/** A time window ending on the as-of date: (asOf - months, asOf]. */
export interface Window {
  months: number;
}

/** The closed criterion language. Each kind is one key; `label` names it in "criteria matched". */
export type Criterion =
  | { all: Criterion[]; label?: string }
  | { any: Criterion[]; label?: string }
  | { not: Criterion; label?: string }
  | { atLeast: number; of: Criterion[]; label?: string }
  /** Always true: the fallback segment of a hierarchy ("generally well"). */
  | { always: true; label?: string }
  /** On the register on the as-of date (recorded by then, not resolved by then), optionally recorded within a window. */
  | { condition: string[]; within?: Window; label?: string }
  /** At least `atLeast` distinct clusters from the list on the register on the as-of date. */
  | { conditionCount: { clusters: string[]; atLeast: number }; label?: string }
  /** Age in whole years on the as-of date (from the year of birth). */
  | { age: { atLeast?: number; below?: number }; label?: string }
  | { sex: string[]; label?: string }
  | { imdDecile: { atLeast?: number; atMost?: number }; label?: string }
  /** At least `atLeast` events of the activity types within the window. */
  | { activity: string[]; atLeast: number; within: Window; label?: string }
  /**
   * Use trending up: counts of the activity types in the last `quarters` 3-month periods rise
   * strictly from the oldest to the latest, and the latest has at least `latestAtLeast`.
   */
  | { rising: { activity: string[]; quarters: number; latestAtLeast: number }; label?: string }
  /** A Life Rooms social prescription for one of the needs, issued within the window. */
  | { socialPrescription: { needs: string[]; within: Window }; label?: string }
  /** A social prescription issued within the window whose latest outcome (by the as-of date) is one of these. */
  | { prescriptionOutcome: { outcomes: string[]; within: Window }; label?: string }
  /**
   * A Life Rooms referral received within the window and at least `afterDays` before the as-of
   * date, with no Life Rooms contact on or after the referral day (up to the as-of date).
   */
  | { referredWithoutContact: { within: Window; afterDays: number }; label?: string }
  /** Any Life Rooms contact on or before the as-of date. */
  | { lifeRoomsUser: true; label?: string };

export interface SubsegmentRule {
  id: string;
  name: string;
  criteria: Criterion;
}

export interface SegmentRule {
  id: string;
  name: string;
  description?: string;
  criteria: Criterion;
  /** Non-exclusive subsegments of this segment, each evaluated only for its members. */
  subsegments?: SubsegmentRule[];
}

export interface Ruleset {
  id: string;
  version: string;
  name: string;
  description?: string;
  /**
   * `hierarchical`: segments are listed highest first and a person joins the first that applies
   * (exactly one); `independent`: a person joins every segment that applies.
   */
  mode: 'hierarchical' | 'independent';
  segments: SegmentRule[];
  /** Free text: sources and reasoning behind the criteria. */
  notes?: string[];
}

/** A segment's key in reports and events: `<ruleset>.<segment>` or `<ruleset>.<segment>.<subsegment>`. */
export function segmentKey(rulesetId: string, segmentId: string, subsegmentId?: string): string {
  return subsegmentId === undefined
    ? `${rulesetId}.${segmentId}`
    : `${rulesetId}.${segmentId}.${subsegmentId}`;
}
