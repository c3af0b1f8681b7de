import {
  biasCorrectionOn,
  covers,
  DEFAULT_EVALUATION_DESIGN,
  EVALUATION_MEASURES,
  evaluateMeasure,
  matchOnTrajectory,
  NEGATIVE_CONTROL_MEASURE,
  balancePassed,
  type DataSpan,
  type EvaluationDesign,
  type EvaluationSubject,
} from '@linkage/domain';
import { DEMO_THREATS, simulatePopulation, type Measure } from '@linkage/synthetic';

/** One scenario of the validity study: planted effects (factor per measure; {} = none). */
export interface ValidityScenario {
  name: string;
  effects: Partial<Record<Measure, number>>;
}

export const VALIDITY_SCENARIOS: readonly ValidityScenario[] = [
  { name: 'default', effects: { crisis: 0.7, ae: 0.8 } },
  { name: 'none', effects: { crisis: 1, ae: 1 } },
  { name: 'gp-and-crisis', effects: { crisis: 0.6, ae: 1, gp: 0.9 } },
];

export interface ValidityRun {
  scenario: string;
  seed: string;
  measure: string;
  truth: number;
  estimate: number;
  /** Standard error the interval was built from. */
  se: number;
  ci95: [number, number];
  covered: boolean;
  /** Interval excludes zero. */
  significant: boolean;
  preTrendPassed: boolean;
  balancePassed: boolean;
  maxAbsSmd: number;
}

export interface ValidityMeasureSummary {
  measure: string;
  runs: number;
  /** Runs with a planted effect (truth != 0) and the mean of (estimate - truth) / truth there. */
  plantedRuns: number;
  meanRelativeBias: number | null;
  /**
   * Standard error of that mean, from its spread over seeds (a seed's scenarios share people
   * and controls, so they are averaged first): whether a bias can be told from chance.
   */
  relativeBiasSe: number | null;
  /** Mean of estimate - truth over every run (per person-year). */
  meanBias: number;
  /**
   * Spread of estimate - truth over runs, and the mean standard error the intervals claimed:
   * a ratio (SE / spread) well under 1 means the intervals are too narrow.
   */
  errorSd: number;
  meanSe: number;
  coverage: number;
  /** Runs where nothing was planted, and the share of them whose interval excludes zero. */
  nullRuns: number;
  falsePositiveRate: number | null;
  preTrendPassRate: number;
}

/** The subjects the evaluation sees, from an in-memory population (no identifiers). */
export function subjectsOf(population: ReturnType<typeof simulatePopulation>): EvaluationSubject[] {
  return population.persons.map((p) => ({
    personId: p.personId,
    yearOfBirth: p.yearOfBirth,
    sex: p.sex,
    registrations: p.registrations,
    deathDay: p.deathDay,
    indexDay: p.indexDay,
    days: p.days,
  }));
}

/**
 * One seed of one scenario: simulate (dip and drift on), match, estimate every measure and
 * score it against the generator's truth. Pure computation in memory.
 */
export function runValiditySeed(
  scenario: ValidityScenario,
  seed: string,
  cohort: number,
  design: EvaluationDesign = DEFAULT_EVALUATION_DESIGN,
  threats: { dipShare: number; driftSd: number } = DEMO_THREATS,
  options: { biasCorrected?: boolean } = {},
): ValidityRun[] {
  const population = simulatePopulation({ cohort, seed, effects: scenario.effects, threats });
  const subjects = subjectsOf(population);
  const span: DataSpan = {
    startDay: dayOf(population.startDate),
    endDay: dayOf(population.endDate),
  };
  const users = subjects.filter((s) => s.indexDay !== null);
  const candidates = subjects.filter((s) => s.indexDay === null);
  const matching = matchOnTrajectory(users, candidates, span, design.matching);
  const byId = new Map(subjects.map((s) => [s.personId, s] as const));
  const balanced = balancePassed(matching.balance.after);
  const maxAbsSmd = Math.max(...matching.balance.after.map((r) => Math.abs(r.smd)));
  const estimator = options.biasCorrected ? biasCorrectionOn(design, span) : {};
  return EVALUATION_MEASURES.map((measure) => {
    const e = evaluateMeasure(matching.sets, byId, measure, design, span, estimator);
    // The manifest's truth is "rate without minus rate with"; a DiD measures the change.
    const truth = -population.truth[measure as Measure].trueEffect;
    return {
      scenario: scenario.name,
      seed,
      measure,
      truth,
      estimate: e.estimate.did,
      se: e.estimate.se,
      ci95: e.estimate.ci95,
      covered: covers(e.estimate.ci95, truth),
      significant: !covers(e.estimate.ci95, 0),
      preTrendPassed: e.preTrendPassed,
      balancePassed: balanced,
      maxAbsSmd,
    };
  });
}

/** Per-measure bias, coverage and false-positive rate over runs. */
export function summariseValidity(runs: readonly ValidityRun[]): ValidityMeasureSummary[] {
  const measures = [...new Set(runs.map((r) => r.measure))];
  return measures.map((measure) => {
    const mine = runs.filter((r) => r.measure === measure);
    const planted = mine.filter((r) => Math.abs(r.truth) > 1e-12);
    const nulls = mine.filter((r) => Math.abs(r.truth) <= 1e-12);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      measure,
      runs: mine.length,
      plantedRuns: planted.length,
      meanRelativeBias: planted.length
        ? mean(planted.map((r) => (r.estimate - r.truth) / Math.abs(r.truth)))
        : null,
      relativeBiasSe: standardErrorBySeed(
        planted.map((r) => ({ seed: r.seed, x: (r.estimate - r.truth) / Math.abs(r.truth) })),
      ),
      meanBias: mean(mine.map((r) => r.estimate - r.truth)),
      errorSd: sd(mine.map((r) => r.estimate - r.truth)),
      meanSe: mean(mine.map((r) => r.se)),
      coverage: mean(mine.map((r) => (r.covered ? 1 : 0))),
      nullRuns: nulls.length,
      falsePositiveRate: nulls.length ? mean(nulls.map((r) => (r.significant ? 1 : 0))) : null,
      preTrendPassRate: mean(mine.map((r) => (r.preTrendPassed ? 1 : 0))),
    };
  });
}

export { NEGATIVE_CONTROL_MEASURE };

/** Standard error of a mean over seeds of per-seed means (null with fewer than two seeds). */
function standardErrorBySeed(values: ReadonlyArray<{ seed: string; x: number }>): number | null {
  const bySeed = new Map<string, number[]>();
  for (const v of values) bySeed.set(v.seed, [...(bySeed.get(v.seed) ?? []), v.x]);
  const means = [...bySeed.values()].map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  return means.length > 1 ? sd(means) / Math.sqrt(means.length) : null;
}

function sd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

function dayOf(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
}
