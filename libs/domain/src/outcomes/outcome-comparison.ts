/** Rates per person-year of one group in the windows before and after the index date. */
export interface GroupRates {
  /** Per person-year in the window before the index date. */
  before: number;
  /** Per person-year in the window after the index date (censored at death or data end). */
  after: number;
  personYearsBefore: number;
  personYearsAfter: number;
}

/**
 * The published shape of one outcome comparison (users against matched controls). The estimate
 * itself comes from `matchedDifferenceInDifferences` in `../evaluation`.
 */
export interface OutcomeComparison {
  nUsers: number;
  nControls: number;
  users: GroupRates;
  controls: GroupRates;
  /** Difference in differences: (users after - before) - (controls after - before), per person-year. */
  did: number;
  /** 95% interval for `did`. */
  ci95: [number, number];
}
