export {
  generatePopulation,
  DEFAULT_COHORT,
  DEFAULT_END_DATE,
  DEFAULT_SEED,
  DEFAULT_YEARS,
} from './generate-population';
export type { GenerateOptions } from './generate-population';
export type {
  Manifest,
  ManifestParameters,
  PlantedRejection,
  SourceCounts,
  TrueEffect,
} from './manifest';
export { DEFAULT_DIRT, DIRT_KEYS, REJECTION, REJECTION_KINDS, isDirtKey } from './dirt';
export type { DirtKey, NoNhsNumberCase, RejectionKind } from './dirt';
export { CSV_COLUMNS } from './extract-writer';
export type { OutputFormat, RecordTypeCounts } from './extract-writer';
export {
  CHANNELS,
  DEFAULT_EFFECTS,
  MEASURES,
  annualRate,
  channelMultipliers,
  isMeasure,
  measuresOfRecord,
} from './rates';
export type { Channel, Measure, RateFactors } from './rates';
export { isValidNhsNumber, nhsCheckDigit } from './nhs-number';
export { simulatePopulation } from './in-memory';
export type { SimulatedPerson, SimulatedPopulation } from './in-memory';
export { DEMO_THREATS, NO_THREATS } from './threats';
export type { ThreatOptions } from './threats';
