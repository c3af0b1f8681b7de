import { gated, interval, list, object, publishedBody, text } from '@linkage/governance';

/**
 * The JSON bodies of the analytics routes, for the OpenAPI document. Every number is a
 * published one (null when withheld); each body also carries `suppressed`, `cellsSuppressed`
 * and `provenance` (see `publishedBody`).
 */
const byKey = (key: string, values: Record<string, ReturnType<typeof gated>>) =>
  list(object({ [key]: text(), ...values }));

export const COHORT_BODY = publishedBody({
  size: gated('people in the cohort'),
  indexDatesByMonth: byKey('month', { people: gated() }),
  engagement: object({
    visitsBySite: byKey('site', { people: gated(), visits: gated() }),
    prescriptionsByNeed: byKey('need', { people: gated(), prescriptions: gated() }),
    prescriptionOutcomes: byKey('outcome', { prescriptions: gated() }),
  }),
});

const groupRates = object({
  before: gated('per person-year before the index date'),
  after: gated('per person-year after the index date'),
});

export const OUTCOMES_BODY = publishedBody({
  measure: text(),
  unit: text(),
  before: { type: 'integer', description: 'months before the index date' },
  after: { type: 'integer', description: 'months after the index date' },
  nUsers: gated('matched users'),
  nControls: gated('matched controls'),
  users: groupRates,
  controls: groupRates,
  did: gated('difference in differences, users minus controls'),
  ci95: interval(),
  interval: text('how the 95% interval was computed'),
  diagnostics: object(
    {},
    'balance, placebo pre-trend and negative control, each with a verdict and a plain warning',
  ),
});

export const EVENT_STUDY_BODY = publishedBody({
  measure: text(),
  unit: text(),
  months: list({ type: 'integer' }),
  washoutMonths: { type: 'integer' },
  matchedUsers: gated(),
  series: list(
    object({ month: { type: 'integer' }, users: gated('rate'), controls: gated('rate') }),
  ),
});

export const BREAKDOWN_BODY = publishedBody({
  dimension: text(),
  measure: text(),
  unit: text(),
  after: { type: 'integer' },
  rows: list(
    object({
      key: text('the value of the dimension'),
      people: gated(),
      events: gated('absent for cost'),
      ratePerPersonYear: gated(),
    }),
  ),
  totalPeople: gated('distinct people'),
});

export const WELLBEING_BODY = publishedBody({
  peopleWithBaseline: gated(),
  peopleWithFollowUp: gated(),
  meanBaseline: gated('SWEMWBS metric score'),
  meanFollowUp: gated('SWEMWBS metric score'),
  meanChange: gated(),
  ci95: interval(),
  meaningfulChange: { type: 'number' },
  changeCategories: byKey('category', { people: gated() }),
});

export const BALANCE_BODY = publishedBody({
  cohortUsers: gated(),
  matchedUsers: gated(),
  unmatchedUsers: gated(),
  relaxedUsers: gated(),
  balanced: { type: 'boolean', nullable: true, description: 'every |SMD| after matching < 0.1' },
  covariates: list(
    object({
      covariate: text(),
      smdBefore: gated(),
      smdAfter: gated(),
      meanUsersBefore: gated(),
      meanComparisonBefore: gated(),
      meanUsersAfter: gated(),
      meanControlsAfter: gated(),
    }),
  ),
});

export const LSOA_REACH_BODY = publishedBody({
  areas: list(
    object({
      lsoa: text(),
      residents: gated(),
      users: gated(),
      reachPer1000: gated('Life Rooms users per 1,000 residents'),
    }),
  ),
  totalResidents: gated(),
  totalUsers: gated(),
});

const segmentSize = {
  id: text('`<ruleset>.<segment>[.<subsegment>]`'),
  name: text(),
  size: gated('members at the latest run'),
};

export const SEGMENT_LIST_BODY = publishedBody({
  segments: list(
    object({
      ...segmentSize,
      ruleset: text(),
      rulesetVersion: text(),
      parent: { type: 'string', nullable: true },
      changeSincePreviousRun: gated(),
      lastRunAsOf: { type: 'string', nullable: true },
    }),
  ),
});

export const SEGMENT_BODY = publishedBody({
  ...segmentSize,
  parent: { type: 'string', nullable: true },
  ruleset: text(),
  rulesetVersion: text(),
  description: { type: 'string', nullable: true },
  criteria: object({}, 'the ruleset criteria of the segment'),
  lifeRooms: object({
    members: gated(),
    lifeRoomsUsers: gated(),
    nonUsers: gated(),
    outcomeMeasure: text(),
    outcome: { ...OUTCOMES_BODY, nullable: true },
    outcomeWithheld: { type: 'string', nullable: true },
    outcomeMinimumUsers: { type: 'integer' },
  }),
});

export const SEGMENT_AREAS_BODY = publishedBody({
  id: text(),
  level: text(),
  areas: list(
    object({
      area: text(),
      members: gated(),
      lifeRoomsUsers: gated(),
      nonUsers: gated(),
      changeSincePreviousRun: gated('members now minus at the run before; null when withheld'),
    }),
  ),
  totalMembers: gated(),
  totalLifeRoomsUsers: gated(),
});

export const SEGMENT_TREND_BODY = publishedBody({
  id: text(),
  runs: list(
    object({
      runId: text(),
      rulesetVersion: text(),
      asOf: text(),
      finishedAt: text(),
      size: gated(),
      changeSincePreviousRun: gated('null for the first run'),
    }),
  ),
  level: text(),
  areas: list(
    object({
      area: text(),
      runs: list(
        object({
          runId: text(),
          members: gated(),
          changeSincePreviousRun: gated('null for the first run or when withheld'),
        }),
      ),
    }),
  ),
});
