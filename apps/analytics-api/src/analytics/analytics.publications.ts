import { createHash } from 'node:crypto';
import type {
  GateRequest,
  GateResult,
  OutcomeComparison,
  OutcomeMeasure,
  ReleasedPopulation,
  Statistic,
} from '@linkage/domain';
import { publishedInterval, publishedValue } from '@linkage/domain';

/**
 * What each analytics answer publishes: the cells handed to the publishing gate (from the raw
 * numbers the queries computed) and the formatter that turns the gate's decisions into the JSON
 * body and CSV rows. Queries compute, the gate decides, these format: nothing here rounds or
 * suppresses on its own, every number in a body comes from `publishedValue`.
 */
export interface Publication {
  request: GateRequest;
  format(result: GateResult): { body: Record<string, unknown>; rows: CsvRow[] };
  /**
   * Fields that go after the provenance, given the formatted body (the outcomes' diagnostics,
   * only beside a published estimate). Like `format`, a function of the gate's decision alone:
   * the formatted answer is remembered per decision (answer-memo.ts).
   */
  annex?(body: Record<string, unknown>): Record<string, unknown> | undefined;
}

export type CsvRow = Record<string, string | number | null>;

/** Width of one person's possible values, for the gate's rounding of means. */
export const VALUE_RANGES = {
  /** Age in years. */
  age: 110,
  /** A 0/1 indicator (female, any prior use). */
  indicator: 1,
  /** IMD decile 1..10. */
  imdDecile: 9,
  /** Prior-use contacts in the prior window: capped generously (a few people have more). */
  priorUse: 50,
  /** SWEMWBS metric score 7..35. */
  swemwbs: 28,
  /** Change in SWEMWBS metric score -28..+28. */
  swemwbsChange: 56,
} as const;

const COVARIATE_RANGES: Record<string, number> = {
  age: VALUE_RANGES.age,
  female: VALUE_RANGES.indicator,
  imdDecile: VALUE_RANGES.imdDecile,
  imd_decile: VALUE_RANGES.imdDecile,
  priorUse: VALUE_RANGES.priorUse,
  priorUseAny: VALUE_RANGES.indicator,
};

/**
 * An opaque tag for a person in the released-cell ledger: a hash of the pseudonym, truncated
 * (48 bits), so the ledger can compare populations without holding pseudonyms.
 */
export function memberTag(personId: string): string {
  return createHash('sha256').update(`release-ledger:${personId}`).digest('hex').slice(0, 12);
}

export function population(family: string, personIds: Iterable<string>): ReleasedPopulation {
  return { family, members: [...new Set([...personIds].map(memberTag))].sort() };
}

// ---------------------------------------------------------------- cohort

export interface CohortData {
  users: number;
  indexMonths: Array<{ month: string; people: number; personIds: string[] }>;
  sites: Array<{ site: string; people: number; visits: number; personIds: string[] }>;
  needs: Array<{ need: string; people: number; prescriptions: number; personIds: string[] }>;
  /** Prescriptions by outcome, and the people who had one with that outcome. */
  prescriptionOutcomes: Array<{ outcome: string; prescriptions: number; personIds: string[] }>;
  courseEnrolments: number;
  sessionsAttended: number;
  pathwaysContacts: number;
  /** The cohort users (for the ledger). */
  personIds: string[];
  /** People with any course enrolment, session or pathways contact (for the ledger). */
  engagedIds: Record<'course_enrolments' | 'sessions_attended' | 'pathways_contacts', string[]>;
}

/**
 * Counts only, each over the people it describes (a population in the ledger): the users of a
 * site or a need, of an index month, the whole cohort. Counts of contacts (visits,
 * prescriptions) go with the people who had them, so a site whose people are a few apart from
 * a set this DSA was given before is withheld with its visits.
 */
export function cohortPublication(d: CohortData): Publication {
  const populations: Record<string, ReleasedPopulation> = {
    cohort: population('cohort-users', d.personIds),
  };
  const cells: Record<string, Statistic> = { size: count(d.users, 'cohort') };
  for (const m of d.indexMonths) {
    populations[`month:${m.month}`] = population(`index-month:${m.month}`, m.personIds);
    cells[`index_month/${m.month}/people`] = count(m.people, `month:${m.month}`);
  }
  for (const s of d.sites) {
    populations[`site:${s.site}`] = population(`site:${s.site}`, s.personIds);
    cells[`site/${s.site}/people`] = count(s.people, `site:${s.site}`);
    cells[`site/${s.site}/visits`] = count(s.visits, `site:${s.site}`);
  }
  for (const n of d.needs) {
    populations[`need:${n.need}`] = population(`need:${n.need}`, n.personIds);
    cells[`need/${n.need}/people`] = count(n.people, `need:${n.need}`);
    cells[`need/${n.need}/prescriptions`] = count(n.prescriptions, `need:${n.need}`);
  }
  for (const o of d.prescriptionOutcomes) {
    populations[`outcome:${o.outcome}`] = population(
      `prescription-outcome:${o.outcome}`,
      o.personIds,
    );
    cells[`prescription_outcome/${o.outcome}`] = count(o.prescriptions, `outcome:${o.outcome}`);
  }
  const engagement = [
    ['course_enrolments', d.courseEnrolments],
    ['sessions_attended', d.sessionsAttended],
    ['pathways_contacts', d.pathwaysContacts],
  ] as const;
  for (const [key, n] of engagement) {
    populations[`engaged:${key}`] = population(`engaged:${key}`, d.engagedIds[key]);
    cells[`engagement/${key}`] = count(n, `engaged:${key}`);
  }
  const lines = [
    d.indexMonths.map((m) => `index_month/${m.month}/people`),
    d.sites.map((s) => `site/${s.site}/people`),
    d.sites.map((s) => `site/${s.site}/visits`),
    d.needs.map((n) => `need/${n.need}/people`),
    d.needs.map((n) => `need/${n.need}/prescriptions`),
    d.prescriptionOutcomes.map((o) => `prescription_outcome/${o.outcome}`),
  ].filter((line) => line.length > 0);
  return {
    request: { cells, lines, populations },
    format(r) {
      const v = (cell: string) => publishedValue(r, cell);
      const size = v('size');
      const indexDatesByMonth = d.indexMonths.map((m) => ({
        month: m.month,
        people: v(`index_month/${m.month}/people`),
      }));
      const engagement = {
        visitsBySite: d.sites.map((s) => ({
          site: s.site,
          people: v(`site/${s.site}/people`),
          visits: v(`site/${s.site}/visits`),
        })),
        courseEnrolments: v('engagement/course_enrolments'),
        sessionsAttended: v('engagement/sessions_attended'),
        pathwaysContacts: v('engagement/pathways_contacts'),
        prescriptionsByNeed: d.needs.map((n) => ({
          need: n.need,
          people: v(`need/${n.need}/people`),
          prescriptions: v(`need/${n.need}/prescriptions`),
        })),
        prescriptionOutcomes: d.prescriptionOutcomes.map((o) => ({
          outcome: o.outcome,
          prescriptions: v(`prescription_outcome/${o.outcome}`),
        })),
      };
      const rows: CsvRow[] = [
        { section: 'cohort', key: 'size', people: size, count: size },
        ...indexDatesByMonth.map((m) => ({
          section: 'index_month',
          key: m.month,
          people: m.people,
          count: m.people,
        })),
        ...engagement.visitsBySite.map((s) => ({
          section: 'visits_by_site',
          key: s.site,
          people: s.people,
          count: s.visits,
        })),
        ...engagement.prescriptionsByNeed.map((n) => ({
          section: 'prescriptions_by_need',
          key: n.need,
          people: n.people,
          count: n.prescriptions,
        })),
        ...engagement.prescriptionOutcomes.map((o) => ({
          section: 'prescription_outcomes',
          key: o.outcome,
          people: '', // not counted by person: empty, not withheld (null)
          count: o.prescriptions,
        })),
        ...(['course_enrolments', 'sessions_attended', 'pathways_contacts'] as const).map(
          (key) => ({ section: 'engagement', key, people: '', count: v(`engagement/${key}`) }),
        ),
      ];
      return { body: { size, indexDatesByMonth, engagement }, rows };
    },
  };
}

// ---------------------------------------------------------------- outcomes

export interface OutcomesData {
  measure: OutcomeMeasure;
  unit: string;
  before: number;
  after: number;
  /** How the interval was computed. */
  interval: string;
  comparison: OutcomeComparison;
  userIds: string[];
  controlIds: string[];
}

/**
 * Rates from rounded event counts over rounded person-years (so rate x person-years gives back
 * only the rounded count), the difference in differences and its interval rounded to the
 * interval's width, all over the matched users and controls (populations in the ledger).
 */
export function outcomesPublication(d: OutcomesData): Publication {
  const c = d.comparison;
  const isCost = d.measure === 'cost';
  const rate = (
    rates: OutcomeComparison['users'],
    window: 'before' | 'after',
    groupSize: number,
    pop: string,
  ): Statistic => {
    const personYears = window === 'before' ? rates.personYearsBefore : rates.personYearsAfter;
    const value = rates[window];
    const numerator = Number.isFinite(value) ? value * personYears : 0;
    return {
      kind: 'rate',
      // Controls are weighted 1/k: their event count is a weighted count, rounded to whole events.
      numerator: isCost ? numerator : Math.round(numerator),
      numeratorKind: isCost ? 'amount' : 'count',
      denominator: personYears,
      denominatorKind: 'person-time',
      groupSize,
      population: pop,
    };
  };
  const cells: Record<string, Statistic> = {
    nUsers: { kind: 'count', value: c.nUsers, population: 'users' },
    nControls: { kind: 'count', value: c.nControls, population: 'controls' },
    'users/before': rate(c.users, 'before', c.nUsers, 'users'),
    'users/after': rate(c.users, 'after', c.nUsers, 'users'),
    'controls/before': rate(c.controls, 'before', c.nControls, 'controls'),
    'controls/after': rate(c.controls, 'after', c.nControls, 'controls'),
  };
  cells.did = {
    kind: 'estimate',
    value: c.did,
    low: c.ci95[0],
    high: c.ci95[1],
    groupSizes: [c.nUsers, c.nControls],
    dependsOn: ['users/before', 'users/after', 'controls/before', 'controls/after'],
    population: 'users',
  };
  return {
    request: {
      cells,
      populations: {
        users: population('matched-users', d.userIds),
        controls: population('matched-controls', d.controlIds),
      },
    },
    format(r) {
      const v = (cell: string) => publishedValue(r, cell);
      const did = v('did');
      const ci95 = publishedInterval(r, 'did');
      const body = {
        measure: d.measure,
        unit: d.unit,
        before: d.before,
        after: d.after,
        nUsers: v('nUsers'),
        nControls: v('nControls'),
        users: { before: v('users/before'), after: v('users/after') },
        controls: { before: v('controls/before'), after: v('controls/after') },
        did,
        ci95,
        interval: d.interval,
      };
      // The estimate compares the two groups: it is written once, on the users row.
      const rows: CsvRow[] = (['users', 'controls'] as const).map((group) => ({
        group,
        n: group === 'users' ? body.nUsers : body.nControls,
        before: body[group].before,
        after: body[group].after,
        did: group === 'users' ? did : '',
        ci95_low: group === 'users' ? ci95[0] : '',
        ci95_high: group === 'users' ? ci95[1] : '',
      }));
      return { body, rows };
    },
  };
}

// ---------------------------------------------------------------- breakdowns

export interface BreakdownGroup {
  key: string;
  personIds: string[];
  /** Events (or cost) in the window after the index date. */
  events: number;
  personYears: number;
}

export interface BreakdownData {
  dimension: string;
  measure: OutcomeMeasure;
  unit: string;
  after: number;
  groups: BreakdownGroup[];
  /** Distinct people over all groups (a person in two sites counts once). */
  distinctPeople: string[];
}

/**
 * One row per group: people and events (counts, secondary suppression down each column) and
 * the rate from the rounded events over rounded person-years, withheld with its counts.
 * `totalPeople` counts distinct people. Every group with a rate is a population in the ledger.
 */
export function breakdownPublication(d: BreakdownData): Publication {
  const isCost = d.measure === 'cost';
  const cells: Record<string, Statistic> = {};
  const populations: Record<string, ReleasedPopulation> = {};
  for (const g of d.groups) {
    const pop = `group:${g.key}`;
    populations[pop] = population(`${d.dimension}:${g.key}`, g.personIds);
    cells[`${g.key}/people`] = { kind: 'count', value: g.personIds.length, population: pop };
    if (!isCost) cells[`${g.key}/events`] = { kind: 'count', value: g.events, population: pop };
    cells[`${g.key}/rate`] = {
      kind: 'rate',
      numerator: g.events,
      numeratorKind: isCost ? 'amount' : 'count',
      denominator: g.personYears,
      denominatorKind: 'person-time',
      groupSize: g.personIds.length,
      population: pop,
      dependsOn: isCost ? [`${g.key}/people`] : [`${g.key}/people`, `${g.key}/events`],
    };
  }
  // The distinct people over all groups: a population too (one group may hold nearly all).
  populations.all = population(`${d.dimension}:all`, d.distinctPeople);
  cells.totalPeople = { kind: 'count', value: d.distinctPeople.length, population: 'all' };
  const lines = [d.groups.map((g) => `${g.key}/people`)];
  if (!isCost) lines.push(d.groups.map((g) => `${g.key}/events`));
  return {
    request: { cells, lines: lines.filter((l) => l.length > 0), populations },
    format(r) {
      const v = (cell: string) => publishedValue(r, cell);
      const out = d.groups.map((g) => ({
        key: g.key,
        people: v(`${g.key}/people`),
        ...(isCost ? {} : { events: v(`${g.key}/events`) }),
        ratePerPersonYear: v(`${g.key}/rate`),
      }));
      return {
        body: {
          dimension: d.dimension,
          measure: d.measure,
          unit: d.unit,
          after: d.after,
          rows: out,
          totalPeople: v('totalPeople'),
        },
        rows: out.map((row) => ({
          [d.dimension]: row.key,
          people: row.people,
          ...('events' in row ? { events: row.events ?? null } : {}),
          rate_per_person_year: row.ratePerPersonYear,
        })),
      };
    },
  };
}

// ---------------------------------------------------------------- wellbeing

export interface WellbeingData {
  /** People with a baseline score. */
  baselineIds: string[];
  /** People with baseline and follow-up: their scores. */
  followUp: Array<{ personId: string; baseline: number; followUp: number; change: number }>;
  meaningfulChange: number;
}

/** Means to the precision the rounded group size supports; the change's interval likewise. */
export function wellbeingPublication(d: WellbeingData): Publication {
  const n = d.followUp.length;
  const mean = (xs: number[]) =>
    xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
  const changes = d.followUp.map((r) => r.change);
  const meanChange = mean(changes);
  const sd = Math.sqrt(mean(changes.map((c) => (c - meanChange) ** 2)) * (n / Math.max(1, n - 1)));
  const half = 1.96 * (sd / Math.sqrt(Math.max(1, n)));
  const improved = changes.filter((c) => c >= d.meaningfulChange).length;
  const worsened = changes.filter((c) => c <= -d.meaningfulChange).length;
  const categories = [
    { key: 'improved', count: improved },
    { key: 'no_meaningful_change', count: n - improved - worsened },
    { key: 'worsened', count: worsened },
  ];
  const pop = 'follow-up';
  const cells: Record<string, Statistic> = {
    peopleWithBaseline: { kind: 'count', value: d.baselineIds.length, population: 'baseline' },
    peopleWithFollowUp: { kind: 'count', value: n, population: pop },
    meanBaseline: {
      kind: 'mean',
      value: mean(d.followUp.map((r) => r.baseline)),
      groupSize: n,
      valueRange: VALUE_RANGES.swemwbs,
      population: pop,
    },
    meanFollowUp: {
      kind: 'mean',
      value: mean(d.followUp.map((r) => r.followUp)),
      groupSize: n,
      valueRange: VALUE_RANGES.swemwbs,
      population: pop,
    },
    meanChange: {
      kind: 'mean',
      value: meanChange,
      groupSize: n,
      valueRange: VALUE_RANGES.swemwbsChange,
      population: pop,
    },
    changeInterval: {
      kind: 'estimate',
      value: meanChange,
      low: meanChange - half,
      high: meanChange + half,
      groupSizes: [n],
      population: pop,
      dependsOn: ['meanChange'],
    },
  };
  for (const c of categories)
    cells[`change/${c.key}`] = { kind: 'count', value: c.count, population: `change:${c.key}` };
  const changed = (key: string) =>
    d.followUp
      .filter((r) =>
        key === 'improved'
          ? r.change >= d.meaningfulChange
          : key === 'worsened'
            ? r.change <= -d.meaningfulChange
            : Math.abs(r.change) < d.meaningfulChange,
      )
      .map((r) => r.personId);
  return {
    request: {
      cells,
      lines: [categories.map((c) => `change/${c.key}`)],
      populations: {
        [pop]: population(
          'wellbeing-follow-up',
          d.followUp.map((r) => r.personId),
        ),
        baseline: population('wellbeing-baseline', d.baselineIds),
        ...Object.fromEntries(
          categories.map((c) => [
            `change:${c.key}`,
            population(`wellbeing-change:${c.key}`, changed(c.key)),
          ]),
        ),
      },
    },
    format(r) {
      const v = (cell: string) => publishedValue(r, cell);
      const body = {
        instrument: 'swemwbs',
        scale: 'metric',
        peopleWithBaseline: v('peopleWithBaseline'),
        peopleWithFollowUp: v('peopleWithFollowUp'),
        meanBaseline: v('meanBaseline'),
        meanFollowUp: v('meanFollowUp'),
        meanChange: v('meanChange'),
        ci95: publishedInterval(r, 'changeInterval'),
        meaningfulChange: d.meaningfulChange,
        changeCategories: categories.map((c) => ({
          category: c.key,
          people: v(`change/${c.key}`),
        })),
      };
      return {
        body,
        rows: [
          { measure: 'people_with_baseline', value: body.peopleWithBaseline },
          { measure: 'people_with_follow_up', value: body.peopleWithFollowUp },
          { measure: 'mean_baseline', value: body.meanBaseline },
          { measure: 'mean_follow_up', value: body.meanFollowUp },
          { measure: 'mean_change', value: body.meanChange },
          { measure: 'mean_change_ci95_low', value: body.ci95[0] },
          { measure: 'mean_change_ci95_high', value: body.ci95[1] },
          ...body.changeCategories.map((c) => ({
            measure: `people_${c.category}`,
            value: c.people,
          })),
        ],
      };
    },
  };
}

// ---------------------------------------------------------------- matching balance

export interface BalanceData {
  cohortUsers: number;
  matchedUsers: number;
  unmatchedUsers: number;
  relaxedUsers: number;
  /** The comparison pool before matching (non-users considered). */
  comparisonPool: number;
  matchedControls: number;
  covariates: Array<{
    covariate: string;
    before: { meanUsers: number; meanControls: number; smd: number };
    after: { meanUsers: number; meanControls: number; smd: number } | undefined;
  }>;
  /** Users the matcher considered, matched users, matched controls (person ids). */
  cohortUserIds: string[];
  /** The comparison pool (non-users considered). */
  comparisonIds: string[];
  matchedUserIds: string[];
  matchedControlIds: string[];
}

/**
 * SMDs to 2 decimals and covariate means to the precision their group supports. The matched
 * users come first: when all users and matched users differ by 1 to 7 (few unmatched), the
 * gate withholds the means over all users rather than the matched comparison.
 */
export function balancePublication(d: BalanceData): Publication {
  const matched = new Set(d.matchedUserIds);
  const cells: Record<string, Statistic> = {
    cohortUsers: { kind: 'count', value: d.cohortUsers, population: 'cohort' },
    matchedUsers: { kind: 'count', value: d.matchedUsers, population: 'matched' },
    unmatchedUsers: { kind: 'count', value: d.unmatchedUsers, population: 'unmatched' },
    // Relaxed users are a count from the matching run without their ids: gated as a count only.
    relaxedUsers: { kind: 'count', value: d.relaxedUsers },
  };
  for (const c of d.covariates) {
    const range = COVARIATE_RANGES[c.covariate] ?? VALUE_RANGES.priorUse;
    const k = c.covariate;
    cells[`${k}/smdBefore`] = {
      kind: 'smd',
      value: c.before.smd,
      groupSizes: [d.cohortUsers, d.comparisonPool],
      population: 'cohort',
    };
    cells[`${k}/meanUsersBefore`] = mean(c.before.meanUsers, d.cohortUsers, range, 'cohort');
    cells[`${k}/meanComparisonBefore`] = mean(
      c.before.meanControls,
      d.comparisonPool,
      range,
      'comparison',
    );
    if (c.after) {
      cells[`${k}/smdAfter`] = {
        kind: 'smd',
        value: c.after.smd,
        groupSizes: [d.matchedUsers, d.matchedControls],
        population: 'matched',
      };
      cells[`${k}/meanUsersAfter`] = mean(c.after.meanUsers, d.matchedUsers, range, 'matched');
      cells[`${k}/meanControlsAfter`] = mean(
        c.after.meanControls,
        d.matchedControls,
        range,
        'controls',
      );
    }
  }
  return {
    request: {
      cells,
      // Order matters: an earlier population is kept, a later one a few people away withheld.
      populations: {
        matched: population('matched-users', d.matchedUserIds),
        controls: population('matched-controls', d.matchedControlIds),
        cohort: population('cohort-users', d.cohortUserIds),
        unmatched: population(
          'unmatched-users',
          d.cohortUserIds.filter((id) => !matched.has(id)),
        ),
        comparison: population('comparison-pool', d.comparisonIds),
      },
    },
    format(r) {
      const v = (cell: string) => (cell in r.cells ? publishedValue(r, cell) : null);
      const covariates = d.covariates.map((c) => ({
        covariate: c.covariate,
        smdBefore: v(`${c.covariate}/smdBefore`),
        smdAfter: v(`${c.covariate}/smdAfter`),
        meanUsersBefore: v(`${c.covariate}/meanUsersBefore`),
        meanComparisonBefore: v(`${c.covariate}/meanComparisonBefore`),
        meanUsersAfter: v(`${c.covariate}/meanUsersAfter`),
        meanControlsAfter: v(`${c.covariate}/meanControlsAfter`),
      }));
      const smds = covariates.map((c) => c.smdAfter);
      return {
        body: {
          cohortUsers: v('cohortUsers'),
          matchedUsers: v('matchedUsers'),
          unmatchedUsers: v('unmatchedUsers'),
          relaxedUsers: v('relaxedUsers'),
          // From the published SMDs (2 decimals): |SMD| below 0.1 counts as balanced.
          balanced:
            smds.length > 0 && smds.every((s) => s !== null)
              ? smds.every((s) => Math.abs(s!) < 0.1)
              : null,
          covariates,
        },
        // A statistic not computed for a covariate does not apply (''); a withheld one is null.
        rows: covariates.map((c) =>
          Object.fromEntries(
            Object.entries(c).map(([k, value]) => [
              k,
              k === 'covariate' || value !== null || `${c.covariate}/${k}` in r.cells ? value : '',
            ]),
          ),
        ),
      };
    },
  };
}

function count(value: number, pop?: string): Statistic {
  return { kind: 'count', value, ...(pop ? { population: pop } : {}) };
}

function mean(value: number, groupSize: number, valueRange: number, pop?: string): Statistic {
  return {
    kind: 'mean',
    value,
    groupSize,
    valueRange,
    ...(pop ? { population: pop } : {}),
  };
}
