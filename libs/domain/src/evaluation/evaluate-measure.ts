import type { DataSpan, EvaluationSubject } from './evaluation-subject';
import { EvaluationDesign } from './evaluation-design';
import {
  eventStudy,
  EventStudyPoint,
  matchedDifferenceInDifferences,
  MatchedDid,
  MatchedDidOptions,
} from './matched-did';
import {
  matchingRow,
  monthStartOf,
  type BalanceRowV2,
  type TrajectoryMatchedSet,
} from './match-on-trajectory';

/** Largest |SMD| after matching that counts as balanced. */
export const BALANCE_SMD_LIMIT = 0.1;

export interface MeasureEvaluation {
  measure: string;
  estimate: MatchedDid;
  /** Placebo DiD between two pre-index windows: should be zero if pre-trends are parallel. */
  placebo: MatchedDid;
  preTrendPassed: boolean;
}

/** The estimate and its pre-trend test for one measure (same seed, same numbers). */
export function evaluateMeasure(
  sets: readonly TrajectoryMatchedSet[],
  subjects: ReadonlyMap<string, EvaluationSubject>,
  measure: string,
  design: EvaluationDesign,
  span: DataSpan,
  options: MatchedDidOptions = {},
): MeasureEvaluation {
  const estimate = matchedDifferenceInDifferences(
    sets,
    subjects,
    measure,
    { before: design.baseline, after: design.followUp },
    span,
    options,
  );
  const placebo = matchedDifferenceInDifferences(
    sets,
    subjects,
    measure,
    design.placebo,
    span,
    options,
  );
  return { measure, estimate, placebo, preTrendPassed: covers(placebo.ci95, 0) };
}

/**
 * The Abadie-Imbens bias correction on the covariates the design matched on (the propensity
 * score's row at the index month), for `matchedDifferenceInDifferences`. Rows are cached per
 * person and month: a reused control is measured once at each index month it serves.
 */
export function biasCorrectionOn(design: EvaluationDesign, span: DataSpan): MatchedDidOptions {
  const cache = new Map<string, readonly number[]>();
  return {
    covariates: (s, indexDay) => {
      const month = monthStartOf(indexDay);
      const key = `${s.personId}@${month}`;
      let row = cache.get(key);
      if (!row) cache.set(key, (row = matchingRow(s, month, design.matching, span)));
      return row;
    },
  };
}

/** The event-study series of one measure over the design's months. */
export function eventStudyOf(
  sets: readonly TrajectoryMatchedSet[],
  subjects: ReadonlyMap<string, EvaluationSubject>,
  measure: string,
  design: EvaluationDesign,
  span: DataSpan,
): EventStudyPoint[] {
  return eventStudy(sets, subjects, measure, design.eventStudy[0], design.eventStudy[1], span);
}

/** Whether an interval contains a value (false for a missing interval). */
export function covers(ci: readonly [number, number], value: number): boolean {
  return Number.isFinite(ci[0]) && Number.isFinite(ci[1]) && ci[0] <= value && value <= ci[1];
}

/** Balance passes when every covariate's |SMD| after matching is below the limit. */
export function balancePassed(after: readonly BalanceRowV2[]): boolean {
  return after.length > 0 && after.every((r) => Math.abs(r.smd) < BALANCE_SMD_LIMIT);
}
