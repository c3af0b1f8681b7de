import { ValidationError } from '@linkage/common';
import type { OutcomeMeasure } from '@linkage/domain';

/** Injection token of the `AnalyticsQueries` (gate, ledger, provenance, cache) the handlers share. */
export const ANALYTICS_QUERIES = Symbol('ANALYTICS_QUERIES');

/**
 * Windows come from a published grid (whole quarters), so analysts cannot choose two windows a
 * few days apart and difference them.
 */
export const OUTCOME_WINDOW_GRID_MONTHS = 3;
export const OUTCOME_WINDOW_MAX_MONTHS = 60;

/** Whether a window length (months) is on the published grid. */
export function isOnWindowGrid(months: number): boolean {
  return (
    Number.isInteger(months) &&
    months >= OUTCOME_WINDOW_GRID_MONTHS &&
    months <= OUTCOME_WINDOW_MAX_MONTHS &&
    months % OUTCOME_WINDOW_GRID_MONTHS === 0
  );
}

export function assertOnWindowGrid(months: number, field: string): void {
  if (!isOnWindowGrid(months))
    throw new ValidationError({
      field: `/${field}`,
      reason: 'window_not_on_grid',
    });
}

export const DAYS_PER_YEAR = 365.25;

export const BREAKDOWN_DIMENSIONS = [
  'postcode-sector',
  'postcode-district',
  'lsoa',
  'imd-decile',
  'site',
  'need',
] as const;
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

/** A SWEMWBS metric change of at least this many points counts as meaningful. */
export const WELLBEING_MEANINGFUL_CHANGE = 3;

export const MEASURE_UNITS: Record<OutcomeMeasure, string> = {
  gp: 'appointments per person-year',
  ae: 'attendances per person-year',
  emergency_admission: 'admissions per person-year',
  mental_health: 'contacts per person-year',
  crisis: 'crisis contacts per person-year',
  nhs111: 'calls per person-year',
  ambulance: 'incidents per person-year',
  elective_admission: 'non-emergency admissions per person-year',
  cost: 'GBP per person-year',
};

/** One covariate's balance row as the matching run stores it. */
export interface BalanceRowLike {
  covariate: string;
  meanUsers: number;
  meanControls: number;
  smd: number;
}
