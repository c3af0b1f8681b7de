import type { DirtKey, NoNhsNumberCase, RejectionKind } from './dirt';
import type { Source } from './draft-record';
import type { OutputFormat, RecordTypeCounts } from './extract-writer';
import type { Measure } from './rates';

/** The parameters a population was generated with (enough to generate it again). */
export interface ManifestParameters {
  persons: number;
  cohort: number;
  years: number;
  seed: string;
  format: OutputFormat;
  /** Last day of the study window (inclusive), `YYYY-MM-DD`. */
  endDate: string;
  /** First day of the study window, `YYYY-MM-DD`. */
  startDate: string;
  effects: Partial<Record<Measure, number>>;
  dirt: Record<DirtKey, number>;
  /** Pre-index dip (share of users) and need drift (monthly log SD); 0 = off. */
  threats: { dipShare: number; driftSd: number };
}

export interface SourceCounts extends RecordTypeCounts {
  file: string;
  /** Per record type as generated (a dirty record counts under the type it was made from). */
  byRecordType: Record<string, RecordTypeCounts>;
}

export interface PlantedRejection {
  /** The reason code ingest should give. */
  reason: string;
  /** The field (JSON Pointer) ingest should name; '' for a line that is not JSON. */
  field: string;
  defect: string;
  count: number;
  bySource: Record<Source, number>;
}

/**
 * The true effect on the treated for one measure over the 12 months after the index date, in
 * events per person-year: the cohort's expected rate without the planted effect minus with it.
 * Computed from the intensities the generator used (not from sampled counts).
 */
export interface TrueEffect {
  factor: number;
  definition: string;
  personYears: number;
  expectedEventsWithout: number;
  expectedEventsWith: number;
  expectedRateWithout: number;
  expectedRateWith: number;
  trueEffect: number;
}

/** What `generatePopulation` wrote: parameters, counts, planted dirt and ground truth. */
export interface Manifest {
  generator: 'linkage-synthetic';
  version: 1;
  parameters: ManifestParameters;
  files: { liferooms: string; cipha: string; dirtLedger: string };
  population: {
    persons: number;
    cohort: number;
    movers: number;
    deaths: number;
    optOuts: number;
    optIns: number;
    byLocalAuthority: Record<string, number>;
    byImdDecile: Record<string, number>;
    cohortByLocalAuthority: Record<string, number>;
    cohortByImdDecile: Record<string, number>;
  };
  counts: Record<Source, SourceCounts>;
  dirt: {
    /** Each rejection kind: exactly one defect per record, so one dead letter each. */
    planted: Record<RejectionKind, PlantedRejection>;
    rejectedTotal: number;
    duplicates: { count: number; bySource: Record<Source, number> };
    /** liferooms records sent without a usable NHS number (linkage cases, not rejections). */
    noNhsNumber: { count: number } & Record<NoNhsNumberCase, number>;
    /** Every planted case with its file line (1-based; a CSV header is line 1). */
    ledger: string;
    notes: string[];
  };
  /** Expected (sum of intensities) and drawn event counts per measure, whole population. */
  activity: Record<
    Measure,
    { expectedEvents: number; generatedEvents: number; definition: string }
  >;
  effects: Partial<Record<Measure, TrueEffect>>;
  /**
   * The true effect on the treated for every measure (factor 1 and trueEffect 0 where nothing
   * was planted), so an estimator can be scored on the measures it should find null.
   */
  truth: Record<Measure, TrueEffect>;
  notes: string[];
  /** True segment sizes by ruleset (segment-truth.ts): what a segmentation run should recover. */
  segments?: {
    asOf: string;
    rulesets: Record<string, { version: string; sizes: Record<string, number> }>;
    notes: string[];
  };
}
