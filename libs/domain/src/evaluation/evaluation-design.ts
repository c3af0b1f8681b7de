import type { MonthWindow } from './evaluation-subject';
import type { TrajectoryMatchingSettings } from './match-on-trajectory';

/**
 * The outcome measures the evaluation reports, each counted from the read models' activity
 * types. `elective_admission` is the negative control: planned admissions follow a surgical
 * referral and a waiting list, which a social model of health cannot plausibly shorten or
 * lengthen within a year; but they share the confounding of the others (older, more deprived,
 * higher-need people have more of them), so a design that is biased by selection shows it there.
 */
export const EVALUATION_MEASURES = [
  'gp',
  'ae',
  'emergency_admission',
  'mental_health',
  'crisis',
  'nhs111',
  'ambulance',
  'elective_admission',
] as const;
export type EvaluationMeasure = (typeof EVALUATION_MEASURES)[number];

export const NEGATIVE_CONTROL_MEASURE: EvaluationMeasure = 'elective_admission';

/** Which windows the evaluation uses and how it matches (see `DEFAULT_EVALUATION_DESIGN`). */
export interface EvaluationDesign {
  matching: TrajectoryMatchingSettings;
  /** Follow-up window after the index date (months). */
  followUp: MonthWindow;
  /** DiD baseline before the index date (months); ends `washoutMonths` before it. */
  baseline: MonthWindow;
  /** Placebo DiD between two pre-index windows that neither matching nor the dip touches. */
  placebo: { before: MonthWindow; after: MonthWindow };
  /** Months of the event-study series. */
  eventStudy: MonthWindow;
}

/** Months left out before the index date (the pre-index dip). */
export function washoutMonths(design: EvaluationDesign): number {
  return -design.baseline[1];
}

/**
 * The design, chosen by the validity study (docs/VALIDITY.md):
 * - match on months -24..-13 (the trajectory: every outcome family, two 6-month windows so a
 *   trend is matched too, plus exact age band, sex and IMD quintile at the index date);
 * - DiD baseline months -12..-4: fresh for both groups (not used to choose controls, so no
 *   regression to the mean), and it stops 3 months before the index date: people who come to
 *   the Life Rooms after a crisis have raised crisis and A&E use in those weeks, which falls
 *   back whether or not the Life Rooms help (an Ashenfelter dip); keeping it in the baseline
 *   credits the Life Rooms with that fall;
 * - placebo: months -12..-8 against -8..-4, inside the baseline, so a failing pre-trend test
 *   means the baseline itself is not parallel;
 * - follow-up months 0..12, as the generator's truth.
 */
export const DEFAULT_EVALUATION_DESIGN: EvaluationDesign = Object.freeze({
  matching: Object.freeze({
    k: 3,
    seed: 20240601,
    ageBandYears: 5,
    families: Object.freeze([
      'gp',
      'ae',
      'emergency_admission',
      'mental_health',
      'crisis',
      'nhs111',
      'ambulance',
      'elective_admission',
    ]),
    windows: Object.freeze([
      Object.freeze([-24, -18]) as MonthWindow,
      Object.freeze([-18, -12]) as MonthWindow,
    ]),
    caliper: 0.2,
  }),
  followUp: Object.freeze([0, 12]) as MonthWindow,
  baseline: Object.freeze([-12, -3]) as MonthWindow,
  placebo: Object.freeze({
    before: Object.freeze([-12, -8]) as MonthWindow,
    after: Object.freeze([-8, -3]) as MonthWindow,
  }),
  eventStudy: Object.freeze([-24, 24]) as MonthWindow,
});
