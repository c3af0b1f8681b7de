import { createHash } from 'node:crypto';
import { SharedRead, ValidationError } from '@linkage/common';
import type { Sql } from '@linkage/database';
import {
  balancePassed,
  BALANCE_SMD_LIMIT,
  covers,
  dayNumber,
  DEFAULT_EVALUATION_DESIGN,
  EMPTY_RELEASE_LEDGER,
  eventStudy,
  parsePublishingPolicy,
  MEASURE_ACTIVITY,
  matchedDifferenceInDifferences,
  MATCHED_DID_INTERVAL,
  NEGATIVE_CONTROL_MEASURE,
  publishingPolicy,
  type DataSpan,
  type DisclosurePolicy,
  type EvaluationDesign,
  type EvaluationSubject,
  type GateRequest,
  type GateResult,
  gateStatistic,
  type MatchedDid,
  type MonthWindow,
  type OutcomeMeasure,
  type PublishingPolicy,
  type ReleasedPopulation,
  type ReleaseLedgerState,
  type SuppressedCell,
  type TrajectoryMatchedSet,
} from '@linkage/domain';
import {
  balancePublication,
  breakdownPublication,
  cohortPublication,
  outcomesPublication,
  wellbeingPublication,
  type BalanceData,
  type BreakdownData,
  type CohortData,
  type OutcomesData,
  type Publication,
  type WellbeingData,
} from './analytics.publications';
import { eventStudyPublication, type EventStudyData } from './evaluation.publications';
import { readModelVersion, ReadModelVersionCache } from './read-model-version-cache';
import { GateMemo, holdsAll } from './gate-memo';

/** Where a published number comes from: same provenance and data, same numbers. */
export interface Provenance {
  eventStorePosition: string;
  matching: {
    method: string;
    k: number;
    seed: number;
    exact: string[];
    caliperSdOfLogit: number;
    /** Pre-index windows (months) whose outcome rates form the matched trajectory. */
    trajectoryWindows: readonly MonthWindow[];
    trajectoryMeasures: readonly string[];
    matchedAtPosition: string | null;
  };
  unitCostVersion: string | null;
  /** The publishing gate's policy, with the version every number was gated by. */
  publishingPolicy: PublishingPolicy;
  /** The count rules of that policy (kept for older clients). */
  disclosurePolicy: DisclosurePolicy;
}

/** Who an answer is for: the DSA whose released-cell ledger it is checked against and recorded in. */
export interface Audience {
  dsa: string;
  /** The output, e.g. `GET /v1/outcomes?measure=ae` (recorded in the ledger). */
  output: string;
}

/** The released-cell ledger as the queries use it (libs/governance `ReleasedCellLedger`). */
export interface ReleaseLedgerPort {
  load(dsa: string): Promise<ReleaseLedgerState>;
  record(
    dsa: string,
    release: {
      output: string;
      via: 'query' | 'release-file';
      policyVersion: string;
      populations: readonly ReleasedPopulation[];
    },
  ): Promise<number>;
}

/**
 * Told of every gated publication: what was gated, for whom, and whether the DSA's released-cell
 * ledger was checked. The endpoint walk (test/adversarial) uses it to prove that every number a
 * route answers came out of the gate; nothing in the service needs it.
 */
export type PublicationListener = (event: {
  audience: Audience | undefined;
  result: GateResult;
  ledgerChecked: boolean;
}) => void;

/** A query result: the JSON body, its CSV rows, and what the audit entry records. */
export interface QueryResult<B> {
  body: B & {
    provenance: Provenance;
    cellsSuppressed: number;
    suppressed: readonly SuppressedCell[];
  };
  rows: Array<Record<string, string | number | null>>;
  cellsSuppressed: number;
  /** Which cells the gate withheld and by which rule (never their values). */
  suppressed: readonly SuppressedCell[];
  /** The populations this answer released (for the ledger of a release file). */
  released: readonly ReleasedPopulation[];
}

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

function assertOnWindowGrid(months: number, field: string): void {
  if (!isOnWindowGrid(months))
    throw new ValidationError({
      field: `/${field}`,
      reason: 'window_not_on_grid',
    });
}

const DAYS_PER_YEAR = 365.25;

/** The publishing policy from configuration: `LINKAGE_PUBLISHING_POLICY` (JSON) or the default. */
export function configuredPublishingPolicy(env: NodeJS.ProcessEnv = process.env): PublishingPolicy {
  return parsePublishingPolicy(env.LINKAGE_PUBLISHING_POLICY);
}

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

const MEASURE_UNITS: Record<OutcomeMeasure, string> = {
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

/**
 * The analysts' questions, answered from the read models with disclosure control applied to
 * every number before it is returned. Nothing person-level is ever returned; people who opted
 * out (National Data Opt-out, current status) are left out of every query.
 */
export class AnalyticsQueries {
  private readonly policy: PublishingPolicy;
  private readonly listeners: PublicationListener[] = [];
  /** Computations before the gate, once per read-model version (read-model-version-cache.ts). */
  private readonly computed: ReadModelVersionCache | undefined;
  /** The gate's decisions per request and ledger state (gate-memo.ts). */
  private readonly gates: GateMemo;
  /** Concurrent askers share one version read (never one begun before they asked). */
  private readonly versions = new SharedRead(() => readModelVersion(this.sql, this.schema));

  /**
   * `policy`: the publishing policy (or, for older callers, count rules only); `ledger`: the
   * released-cell ledger checked and written when a query names its audience.
   */
  constructor(
    private readonly sql: Sql,
    policy: PublishingPolicy | DisclosurePolicy = configuredPublishingPolicy(),
    private readonly schema = 'read_model',
    private readonly ledger?: ReleaseLedgerPort,
    /** `cacheComputations: false` computes every answer afresh (the path the cache is tested against). */
    options: { cacheComputations?: boolean } = {},
  ) {
    this.computed = options.cacheComputations === false ? undefined : new ReadModelVersionCache();
    this.policy =
      'version' in policy
        ? policy
        : publishingPolicy({
            countThreshold: policy.threshold,
            countRounding: policy.rounding,
            ...(policy.threshold === 0 ? { minimumGroupSize: 1 } : {}),
          });
    this.gates = new GateMemo(this.policy);
  }

  private get s() {
    return this.sql(this.schema);
  }

  async provenance(): Promise<Provenance> {
    const s = this.s;
    const [checkpoint] = await this.sql<{ position: string }[]>`
      select position from ${s}.checkpoint where projection = 'read-models'`;
    const [meta] = await this.sql<{ value: string }[]>`
      select value from ${s}.meta where key = 'unit_cost_version'`;
    const [run] = await this.sql<{ settings: EvaluationDesign; event_store_position: string }[]>`
      select settings, event_store_position from ${s}.matching_run where id = 1`;
    const m = (run?.settings?.matching ? run.settings : DEFAULT_EVALUATION_DESIGN).matching;
    return {
      eventStorePosition: checkpoint?.position ?? '',
      matching: {
        method:
          'propensity score (age, sex, IMD decile at the index date, pre-index trajectory), nearest neighbours on its logit, with replacement',
        k: m.k,
        seed: m.seed,
        exact: ['sex'],
        caliperSdOfLogit: m.caliper,
        trajectoryWindows: m.windows,
        trajectoryMeasures: m.families,
        matchedAtPosition: run?.event_store_position ?? null,
      },
      unitCostVersion: meta?.value ?? null,
      publishingPolicy: this.policy,
      disclosurePolicy: {
        threshold: this.policy.countThreshold,
        rounding: this.policy.countRounding,
      },
    };
  }

  /** The publishing policy every answer of these queries is gated by. */
  get publishingPolicy(): PublishingPolicy {
    return this.policy;
  }

  /** Adds a listener told of every gated publication (see `PublicationListener`). */
  observe(listener: PublicationListener): void {
    this.listeners.push(listener);
  }

  /**
   * The one way a number leaves these queries (and the area and segment queries, which use it):
   * loads what the DSA was given before from the released-cell ledger, applies the publishing
   * gate, and records the populations released. Without an audience (CLI, tests) no ledger is
   * checked or written.
   */
  async gate(request: GateRequest, audience: Audience | undefined): Promise<GateResult> {
    const ledgerChecked = Boolean(audience && this.ledger);
    const ledgerState =
      audience && this.ledger ? await this.ledger.load(audience.dsa) : EMPTY_RELEASE_LEDGER;
    const gated = this.gates.apply(request, ledgerState);
    // Nothing new for this DSA (the usual repeat): `record` would append nothing either.
    if (audience && this.ledger && !holdsAll(ledgerState, gated.released)) {
      await this.ledger.record(audience.dsa, {
        output: audience.output,
        via: 'query',
        policyVersion: gated.policyVersion,
        populations: gated.released,
      });
    }
    for (const listener of this.listeners) listener({ audience, result: gated, ledgerChecked });
    return gated;
  }

  /**
   * Gates a publication for its audience (`gate`) and formats the answer with the gate's
   * `suppressed` list and the policy version.
   */
  private async publish(
    publication: Publication,
    audience: Audience | undefined,
    version?: string,
  ): Promise<QueryResult<Record<string, unknown>>> {
    const provenance = await this.once(version, 'provenance', () => this.provenance());
    const gated = await this.gate(publication.request, audience);
    const { body, rows } = publication.format(gated);
    const cellsSuppressed = gated.suppressed.length;
    return {
      body: { ...body, suppressed: gated.suppressed, cellsSuppressed, provenance },
      rows,
      cellsSuppressed,
      suppressed: gated.suppressed,
      released: gated.released,
    };
  }

  /** The read models' version when computations are cached; undefined when they are not. */
  private async version(): Promise<string | undefined> {
    return this.computed ? this.versions.get() : undefined;
  }

  /** `compute()`, or its result from earlier at the same read-model version. */
  private once<T>(version: string | undefined, key: string, compute: () => Promise<T>): Promise<T> {
    return version === undefined || !this.computed
      ? compute()
      : this.computed.get(version, key, compute);
  }

  /** Computes a publication once per read-model version, and gates it for every asker. */
  private async publishOnce(
    key: string,
    audience: Audience | undefined,
    compute: () => Promise<Publication>,
  ): Promise<QueryResult<Record<string, unknown>>> {
    const version = await this.version();
    return this.publish(await this.once(version, key, compute), audience, version);
  }

  /** Cohort size, index dates by month and Life Rooms engagement. */
  async cohort(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    return this.publishOnce('cohort', audience, () => this.computeCohort());
  }

  private async computeCohort(): Promise<Publication> {
    const s = this.s;
    const users = await this.sql<
      {
        person_id: string;
        index_month: string;
        visits_by_site: Record<string, number>;
        course_enrolments: number;
        sessions_attended: number;
        pathways_contacts: number;
        prescriptions_by_need: Record<string, number>;
        outcomes_by_need: Record<string, Record<string, number>>;
      }[]
    >`
      select l.person_id, to_char(l.index_date, 'YYYY-MM') as index_month, l.visits_by_site, l.course_enrolments,
             l.sessions_attended, l.pathways_contacts, l.prescriptions_by_need, l.outcomes_by_need
      from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and l.index_date is not null and not coalesce(p.opted_out, false)`;
    const sites = new Map<string, { people: string[]; visits: number }>();
    const needs = new Map<string, { people: string[]; prescriptions: number }>();
    const outcomes = new Map<string, { people: Set<string>; prescriptions: number }>();
    const months = new Map<string, string[]>();
    const engaged = {
      enrolled: [] as string[],
      sessions: [] as string[],
      pathways: [] as string[],
    };
    let enrolments = 0;
    let sessions = 0;
    let pathways = 0;
    for (const u of users) {
      const month = months.get(u.index_month) ?? [];
      month.push(u.person_id);
      months.set(u.index_month, month);
      for (const [site, n] of Object.entries(u.visits_by_site)) {
        const row = sites.get(site) ?? { people: [], visits: 0 };
        row.people.push(u.person_id);
        row.visits += n;
        sites.set(site, row);
      }
      for (const [need, n] of Object.entries(u.prescriptions_by_need)) {
        const row = needs.get(need) ?? { people: [], prescriptions: 0 };
        row.people.push(u.person_id);
        row.prescriptions += n;
        needs.set(need, row);
      }
      for (const byOutcome of Object.values(u.outcomes_by_need)) {
        for (const [outcome, n] of Object.entries(byOutcome)) {
          const row = outcomes.get(outcome) ?? { people: new Set<string>(), prescriptions: 0 };
          row.people.add(u.person_id);
          row.prescriptions += n;
          outcomes.set(outcome, row);
        }
      }
      if (u.course_enrolments > 0) engaged.enrolled.push(u.person_id);
      if (u.sessions_attended > 0) engaged.sessions.push(u.person_id);
      if (u.pathways_contacts > 0) engaged.pathways.push(u.person_id);
      enrolments += u.course_enrolments;
      sessions += u.sessions_attended;
      pathways += u.pathways_contacts;
    }
    const data: CohortData = {
      users: users.length,
      indexMonths: [...months.keys()].sort().map((month) => ({
        month,
        people: months.get(month)!.length,
        personIds: months.get(month)!,
      })),
      sites: [...sites.keys()].sort().map((site) => ({
        site,
        people: sites.get(site)!.people.length,
        visits: sites.get(site)!.visits,
        personIds: sites.get(site)!.people,
      })),
      needs: [...needs.keys()].sort().map((need) => ({
        need,
        people: needs.get(need)!.people.length,
        prescriptions: needs.get(need)!.prescriptions,
        personIds: needs.get(need)!.people,
      })),
      prescriptionOutcomes: [...outcomes.keys()].sort().map((outcome) => ({
        outcome,
        prescriptions: outcomes.get(outcome)!.prescriptions,
        personIds: [...outcomes.get(outcome)!.people],
      })),
      courseEnrolments: enrolments,
      sessionsAttended: sessions,
      pathwaysContacts: pathways,
      personIds: users.map((u) => u.person_id),
      engagedIds: {
        course_enrolments: engaged.enrolled,
        sessions_attended: engaged.sessions,
        pathways_contacts: engaged.pathways,
      },
    };
    return cohortPublication(data);
  }

  /**
   * The matched sets (opted-out people left out) and, for everyone in them, what the estimate
   * needs: death and the days (and values, for cost) of the given measures.
   */
  private async matchedSubjects(
    measures: readonly OutcomeMeasure[],
    /** Only these users (and their matched controls): a segment's Life Rooms lens. */
    usersAmong?: readonly string[],
  ): Promise<{
    sets: TrajectoryMatchedSet[];
    subjects: Map<string, EvaluationSubject>;
    span: DataSpan;
    design: EvaluationDesign;
    balanceAfter: BalanceRowLike[];
  }> {
    const s = this.s;
    const [run] = await this.sql<
      {
        data_start: string | null;
        data_end: string | null;
        settings: EvaluationDesign;
        balance: { after: BalanceRowLike[] } | null;
      }[]
    >`
      select data_start::text as data_start, data_end::text as data_end, settings, balance
      from ${s}.matching_run where id = 1`;
    const pairs = await this.sql<{ user_id: string; control_id: string; index_date: string }[]>`
      select m.user_id, m.control_id, m.index_date::text as index_date
      from ${s}.matched_pair m
      join ${s}.person_profile pu on pu.person_id = m.user_id
      join ${s}.person_profile pc on pc.person_id = m.control_id
      where not pu.opted_out and not pc.opted_out
      order by m.user_id, m.rank`;
    const byUser = new Map<string, TrajectoryMatchedSet>();
    const among = usersAmong && new Set(usersAmong);
    for (const p of pairs) {
      if (among && !among.has(p.user_id)) continue;
      const set = byUser.get(p.user_id) ?? {
        userId: p.user_id,
        indexDay: dayNumber(p.index_date),
        controlIds: [],
      };
      set.controlIds.push(p.control_id);
      byUser.set(p.user_id, set);
    }
    const people = [
      ...new Set([...byUser.values()].flatMap((set) => [set.userId, ...set.controlIds])),
    ];
    const subjects = new Map<string, EvaluationSubject>();
    const days = new Map<string, Record<string, number[]>>();
    const values = new Map<string, Record<string, number[]>>();
    for (const r of await this.sql<{ person_id: string; death_date: string | null }[]>`
        select person_id, death_date::text as death_date from ${s}.person_profile
        where person_id = any(${people}::text[])`) {
      const personDays: Record<string, number[]> = {};
      const personValues: Record<string, number[]> = {};
      days.set(r.person_id, personDays);
      values.set(r.person_id, personValues);
      subjects.set(r.person_id, {
        personId: r.person_id,
        yearOfBirth: null,
        sex: null,
        registrations: [],
        deathDay: r.death_date ? dayNumber(r.death_date) : null,
        indexDay: byUser.get(r.person_id)?.indexDay ?? null,
        days: personDays,
        values: personValues,
      });
    }
    for (const measure of measures) {
      const rows =
        measure === 'cost'
          ? await this.sql<{ person_id: string; day: number; value: number }[]>`
              select person_id, (occurred_on - date '1970-01-01') as day, cost_gbp as value
              from ${s}.activity where cost_gbp > 0 and person_id = any(${people}::text[])
              order by person_id, occurred_on`
          : await this.sql<{ person_id: string; day: number; value: number }[]>`
              select person_id, (occurred_on - date '1970-01-01') as day, 1 as value
              from ${s}.activity
              where activity = ${MEASURE_ACTIVITY[measure]} and person_id = any(${people}::text[])
              order by person_id, occurred_on`;
      for (const r of rows) {
        const d = days.get(r.person_id);
        const v = values.get(r.person_id);
        if (!d || !v) continue;
        (d[measure] ??= []).push(Number(r.day));
        (v[measure] ??= []).push(Number(r.value));
      }
    }
    const span: DataSpan = {
      startDay: run?.data_start ? dayNumber(run.data_start) : Number.NEGATIVE_INFINITY,
      endDay: run?.data_end ? dayNumber(run.data_end) : Number.POSITIVE_INFINITY,
    };
    const design = run?.settings?.matching ? run.settings : DEFAULT_EVALUATION_DESIGN;
    return {
      sets: [...byUser.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
      subjects,
      span,
      design,
      balanceAfter: run?.balance?.after ?? [],
    };
  }

  /**
   * Users vs matched controls: rates in the DiD baseline (months -before..-washout) and the
   * follow-up (0..after), the difference in differences with a 95% interval over matched sets,
   * and which diagnostics passed: balance, the placebo pre-trend test and the negative control.
   */
  async outcomes(
    measure: OutcomeMeasure,
    before = 12,
    after = 12,
    audience?: Audience,
    washout = 3,
    /** Only these users (and their matched controls): a segment's Life Rooms lens. */
    usersAmong?: readonly string[],
  ): Promise<QueryResult<Record<string, unknown>>> {
    assertOnWindowGrid(before, 'before');
    assertOnWindowGrid(after, 'after');
    const version = await this.version();
    const { publication, baseline, result, placebo, negative, balanceAfter } = await this.once(
      version,
      `outcomes:${measure}:${before}:${after}:${washout}:${usersKey(usersAmong)}`,
      () => this.computeOutcomes(measure, before, after, washout, usersAmong),
    );
    const published = await this.publish(publication, audience, version);
    // The diagnostics go beside the estimate, and only when the gate published it: the placebo
    // and negative-control estimates are the same kind of statistic over the same people.
    if (published.body.did !== null && published.body.did !== undefined) {
      published.body.washout = washout;
      published.body.baselineMonths = baseline;
      published.body.diagnostics = this.diagnostics(
        result,
        placebo,
        negative,
        balanceAfter,
        measure,
      );
    }
    return published;
  }

  /** The estimate, its placebo and negative control: the work `outcomes` does once per version. */
  private async computeOutcomes(
    measure: OutcomeMeasure,
    before: number,
    after: number,
    washout: number,
    usersAmong: readonly string[] | undefined,
  ) {
    const { sets, subjects, span, design, balanceAfter } = await this.matchedSubjects(
      [measure, NEGATIVE_CONTROL_MEASURE as OutcomeMeasure],
      usersAmong,
    );
    const baseline: MonthWindow = [-before, -washout];
    const windows = { before: baseline, after: [0, after] as MonthWindow };
    const did = (m: string, w: { before: MonthWindow; after: MonthWindow }) =>
      matchedDifferenceInDifferences(sets, subjects, m, w, span);
    const result = did(measure, windows);
    const placebo = did(measure, design.placebo);
    const negative = did(NEGATIVE_CONTROL_MEASURE, windows);
    const data: OutcomesData = {
      measure,
      unit: MEASURE_UNITS[measure],
      before,
      after,
      interval: MATCHED_DID_INTERVAL,
      comparison: result,
      userIds: sets.map((set) => set.userId),
      controlIds: sets.flatMap((set) => set.controlIds),
    };
    return {
      publication: outcomesPublication(data),
      baseline,
      result,
      placebo,
      negative,
      balanceAfter,
    };
  }

  /**
   * Which diagnostics passed, in words a reviewer reads, beside every estimate. Each number is a
   * statistic of its kind and passes the gate (the estimate itself passed the ledger, and these
   * describe the same matched people): the placebo and negative-control estimates with their
   * intervals, the largest SMD (2 decimals) and the number of matched sets (a count). The
   * verdicts are taken from the unrounded figures, which are not published.
   */
  private diagnostics(
    estimate: MatchedDid,
    placebo: MatchedDid,
    negative: MatchedDid,
    balanceAfter: readonly BalanceRowLike[],
    measure: string,
  ) {
    const maxAbsSmd = balanceAfter.reduce((m, r) => Math.max(m, Math.abs(r.smd)), 0);
    const groups = (d: MatchedDid) => [d.nUsers, d.distinctControls];
    const gatedEstimate = (d: MatchedDid) => {
      const cell = gateStatistic(
        { kind: 'estimate', value: d.did, low: d.ci95[0], high: d.ci95[1], groupSizes: groups(d) },
        this.policy,
      );
      return cell.published && cell.interval
        ? { did: cell.value, ci95: [cell.interval[0], cell.interval[1]] as [number, number] }
        : { did: null, ci95: [null, null] as [null, null] };
    };
    // The verdict a reader can check: from the published interval when there is one.
    const coversZero = (d: MatchedDid) => {
      const shown = gatedEstimate(d).ci95;
      return shown[0] === null ? covers(d.ci95, 0) : covers(shown, 0);
    };
    const preTrendPassed = coversZero(placebo);
    const negativePassed = coversZero(negative);
    const balanced = balancePassed(balanceAfter as never);
    const published = (cell: ReturnType<typeof gateStatistic>) =>
      cell.published ? cell.value : null;
    return {
      balance: {
        passed: balanced,
        maxAbsSmdAfter: published(
          gateStatistic(
            { kind: 'smd', value: maxAbsSmd, groupSizes: groups(estimate) },
            this.policy,
          ),
        ),
        limit: BALANCE_SMD_LIMIT,
        covariates: balanceAfter.length,
      },
      preTrend: {
        passed: preTrendPassed,
        placeboDid: gatedEstimate(placebo).did,
        ci95: gatedEstimate(placebo).ci95,
        warning: preTrendPassed
          ? null
          : `The placebo difference in differences between two pre-index periods excludes zero for ${measure}: users and controls were not on parallel paths before the index date, so the estimate may be biased.`,
      },
      negativeControl: {
        measure: NEGATIVE_CONTROL_MEASURE,
        passed: negativePassed,
        did: gatedEstimate(negative).did,
        ci95: gatedEstimate(negative).ci95,
        why: 'planned (elective) admissions follow a surgical referral and a waiting list; the Life Rooms cannot plausibly change them within a year, but they share the confounding of the other measures',
        warning: negativePassed
          ? null
          : 'The negative-control outcome shows an "effect" the Life Rooms cannot have: suspect residual confounding.',
      },
      passed: balanced && preTrendPassed && negativePassed,
      estimateSets: published(gateStatistic({ kind: 'count', value: estimate.sets }, this.policy)),
    };
  }

  /**
   * Event study: monthly rates of users and matched controls from 24 months before to 24 after
   * the index date. A month whose events in either group are small is suppressed.
   */
  async eventStudy(
    measure: OutcomeMeasure,
    audience?: Audience,
  ): Promise<QueryResult<Record<string, unknown>>> {
    return this.publishOnce(`event-study:${measure}`, audience, () =>
      this.computeEventStudy(measure),
    );
  }

  private async computeEventStudy(measure: OutcomeMeasure): Promise<Publication> {
    const { sets, subjects, span, design } = await this.matchedSubjects([measure]);
    const [from, to] = design.eventStudy;
    const data: EventStudyData = {
      measure,
      unit: MEASURE_UNITS[measure],
      months: [from, to],
      washoutMonths: -design.baseline[1],
      series: eventStudy(sets, subjects, measure, from, to, span),
      matchedUsers: sets.length,
      userIds: sets.map((set) => set.userId),
      controlIds: sets.flatMap((set) => set.controlIds),
    };
    return eventStudyPublication(data);
  }

  /** Cohort users by one fixed dimension, with the measure's rate in the year after the index date. */
  async breakdown(
    dimension: BreakdownDimension,
    measure: OutcomeMeasure,
    after = 12,
    audience?: Audience,
  ): Promise<QueryResult<Record<string, unknown>>> {
    assertOnWindowGrid(after, 'after');
    return this.publishOnce(`breakdown:${dimension}:${measure}:${after}`, audience, () =>
      this.computeBreakdown(dimension, measure, after),
    );
  }

  private async computeBreakdown(
    dimension: BreakdownDimension,
    measure: OutcomeMeasure,
    after: number,
  ): Promise<Publication> {
    const s = this.s;
    const [run] = await this.sql<{ data_end: string | null }[]>`
      select coalesce(m.data_end, (select max(occurred_on) + 1 from ${s}.activity))::text as data_end
      from (select 1) x left join ${s}.matching_run m on m.id = 1`;
    const dataEnd = run?.data_end ?? '9999-01-01';
    const activityFilter =
      measure === 'cost'
        ? this.sql`a.cost_gbp > 0`
        : this.sql`a.activity = ${MEASURE_ACTIVITY[measure]}`;
    const valueExpr = measure === 'cost' ? this.sql`a.cost_gbp` : this.sql`1`;
    const users = await this.sql<
      {
        person_id: string;
        postcode_sector: string | null;
        postcode_district: string | null;
        lsoa: string | null;
        imd_decile: number | null;
        visits_by_site: Record<string, number>;
        prescriptions_by_need: Record<string, number>;
        events: number;
        days: number;
      }[]
    >`
      with users as (
        select l.person_id, l.index_date, p.postcode_sector, p.postcode_district, p.lsoa, p.imd_decile,
               l.visits_by_site, l.prescriptions_by_need,
               greatest(0, least((l.index_date + make_interval(months => ${after}))::date,
                                 coalesce(p.death_date, 'infinity'::date), ${dataEnd}::date) - l.index_date) as days
        from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
        where l.person_id is not null and l.index_date is not null and not coalesce(p.opted_out, false)
      )
      select u.person_id, u.postcode_sector, u.postcode_district, u.lsoa, u.imd_decile, u.visits_by_site,
             u.prescriptions_by_need, u.days,
             coalesce((select sum(${valueExpr}) from ${s}.activity a
                       where a.person_id = u.person_id and ${activityFilter}
                         and a.occurred_on >= u.index_date and a.occurred_on < u.index_date + u.days), 0) as events
      from users u`;
    const groups = new Map<string, { people: Set<string>; events: number; days: number }>();
    const distinct = new Set<string>();
    const add = (key: string | number | null | undefined, u: (typeof users)[number]) => {
      const k = key === null || key === undefined ? 'unknown' : String(key);
      const g = groups.get(k) ?? { people: new Set<string>(), events: 0, days: 0 };
      if (g.people.has(u.person_id)) return;
      g.people.add(u.person_id);
      distinct.add(u.person_id);
      g.events += Number(u.events);
      g.days += Number(u.days);
      groups.set(k, g);
    };
    for (const u of users) {
      switch (dimension) {
        case 'postcode-sector':
          add(u.postcode_sector, u);
          break;
        case 'postcode-district':
          add(u.postcode_district, u);
          break;
        case 'lsoa':
          add(u.lsoa, u);
          break;
        case 'imd-decile':
          add(u.imd_decile, u);
          break;
        case 'site':
          for (const site of Object.keys(u.visits_by_site)) add(site, u);
          break;
        case 'need':
          for (const need of Object.keys(u.prescriptions_by_need)) add(need, u);
          break;
      }
    }
    const data: BreakdownData = {
      dimension,
      measure,
      unit: MEASURE_UNITS[measure],
      after,
      groups: [...groups.keys()].sort(compareKeys).map((key) => {
        const g = groups.get(key)!;
        return {
          key,
          personIds: [...g.people],
          events: measure === 'cost' ? g.events : Math.round(g.events),
          personYears: g.days / DAYS_PER_YEAR,
        };
      }),
      distinctPeople: [...distinct],
    };
    return breakdownPublication(data);
  }

  /** SWEMWBS metric scores: baseline, follow-up and change among users with both. */
  async wellbeing(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    return this.publishOnce('wellbeing', audience, () => this.computeWellbeing());
  }

  private async computeWellbeing(): Promise<Publication> {
    const s = this.s;
    const rows = await this.sql<
      { person_id: string; baseline: number; follow_up: number; change: number }[]
    >`
      select l.person_id, l.wellbeing_baseline as baseline, l.wellbeing_follow_up as follow_up,
             l.wellbeing_change as change
      from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and l.wellbeing_change is not null and not coalesce(p.opted_out, false)`;
    const baseline = await this.sql<{ person_id: string }[]>`
      select l.person_id from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and l.wellbeing_baseline is not null and not coalesce(p.opted_out, false)`;
    const data: WellbeingData = {
      baselineIds: baseline.map((r) => r.person_id),
      followUp: rows.map((r) => ({
        personId: r.person_id,
        baseline: Number(r.baseline),
        followUp: Number(r.follow_up),
        change: Number(r.change),
      })),
      meaningfulChange: WELLBEING_MEANINGFUL_CHANGE,
    };
    return wellbeingPublication(data);
  }

  /** Balance of the matched comparison: SMDs before and after matching, with its settings. */
  async balance(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    return this.publishOnce('balance', audience, () => this.computeBalance());
  }

  private async computeBalance(): Promise<Publication> {
    const s = this.s;
    const [run] = await this.sql<
      {
        users: number;
        matched_users: number;
        unmatched_users: number;
        relaxed_users: number;
        balance: { before: BalanceRowLike[]; after: BalanceRowLike[] };
      }[]
    >`select users, matched_users, unmatched_users, relaxed_users, balance from ${s}.matching_run where id = 1`;
    const pairs = await this.sql<{ user_id: string; control_id: string }[]>`
      select user_id, control_id from ${s}.matched_pair`;
    const cohort = await this.sql<{ person_id: string; user: boolean }[]>`
      select p.person_id, (c.person_id is not null) as user
      from ${s}.person_profile p left join ${s}.cohort c using (person_id)
      where not p.opted_out and p.year_of_birth is not null and p.sex is not null
        and p.imd_decile is not null`;
    const cohortUserIds = cohort.filter((r) => r.user).map((r) => r.person_id);
    const data: BalanceData = {
      cohortUsers: run?.users ?? 0,
      matchedUsers: run?.matched_users ?? 0,
      unmatchedUsers: run?.unmatched_users ?? 0,
      relaxedUsers: run?.relaxed_users ?? 0,
      comparisonPool: cohort.length - cohortUserIds.length,
      matchedControls: new Set(pairs.map((p) => p.control_id)).size,
      covariates: (run?.balance.before ?? []).map((b) => {
        const a = run!.balance.after.find((row) => row.covariate === b.covariate);
        return {
          covariate: b.covariate,
          before: { meanUsers: b.meanUsers, meanControls: b.meanControls, smd: b.smd },
          after: a
            ? { meanUsers: a.meanUsers, meanControls: a.meanControls, smd: a.smd }
            : undefined,
        };
      }),
      cohortUserIds,
      comparisonIds: cohort.filter((r) => !r.user).map((r) => r.person_id),
      matchedUserIds: [...new Set(pairs.map((p) => p.user_id))],
      matchedControlIds: [...new Set(pairs.map((p) => p.control_id))],
    };
    return balancePublication(data);
  }
}

interface BalanceRowLike {
  covariate: string;
  meanUsers: number;
  meanControls: number;
  smd: number;
}

/** A cache key for "only these users" (order does not matter); `*` for everyone. */
function usersKey(usersAmong: readonly string[] | undefined): string {
  if (!usersAmong) return '*';
  return createHash('sha256')
    .update([...usersAmong].sort().join(','))
    .digest('hex');
}

function compareKeys(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
