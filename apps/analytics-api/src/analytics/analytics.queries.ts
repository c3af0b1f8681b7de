import type { Sql } from '@linkage/database';
import {
  balancePassed,
  BALANCE_SMD_LIMIT,
  covers,
  controlBreakdown,
  controlCount,
  controlRate,
  controlTable,
  dayNumber,
  DEFAULT_DISCLOSURE_POLICY,
  DEFAULT_EVALUATION_DESIGN,
  eventStudy,
  MEASURE_ACTIVITY,
  matchedDifferenceInDifferences,
  mulberry32,
  NEGATIVE_CONTROL_MEASURE,
  type ControlledCount,
  type DataSpan,
  type DisclosurePolicy,
  type EvaluationDesign,
  type EvaluationSubject,
  type MatchedDid,
  type MonthWindow,
  type OutcomeMeasure,
  type TrajectoryMatchedSet,
} from '@linkage/domain';

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
  disclosurePolicy: DisclosurePolicy;
}

/** A query result: the JSON body, its CSV rows, and what the audit entry records. */
export interface QueryResult<B> {
  body: B & { provenance: Provenance; cellsSuppressed: number };
  rows: Array<Record<string, string | number | null>>;
  cellsSuppressed: number;
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

const BOOTSTRAP_REPS = 1000;
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
  constructor(
    private readonly sql: Sql,
    private readonly policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
    private readonly schema = 'read_model',
  ) {}

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
      disclosurePolicy: this.policy,
    };
  }

  /** Cohort size, index dates by month and Life Rooms engagement. */
  async cohort(): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.s;
    const users = await this.sql<
      {
        index_month: string;
        visits_by_site: Record<string, number>;
        course_enrolments: number;
        sessions_attended: number;
        pathways_contacts: number;
        prescriptions_by_need: Record<string, number>;
        outcomes_by_need: Record<string, Record<string, number>>;
      }[]
    >`
      select to_char(l.index_date, 'YYYY-MM') as index_month, l.visits_by_site, l.course_enrolments,
             l.sessions_attended, l.pathways_contacts, l.prescriptions_by_need, l.outcomes_by_need
      from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and l.index_date is not null and not coalesce(p.opted_out, false)`;
    let suppressed = 0;
    const size = controlCount(users.length, this.policy);
    if (size === null) suppressed++;

    const byMonth = tally(users.map((u) => u.index_month));
    const months = controlBreakdown(byMonth, this.policy);
    suppressed += months.cellsSuppressed;

    const sites = new Map<string, { people: number; visits: number }>();
    const needs = new Map<string, { people: number; prescriptions: number }>();
    const outcomes = new Map<string, number>();
    let enrolments = 0;
    let sessions = 0;
    let pathways = 0;
    for (const u of users) {
      for (const [site, n] of Object.entries(u.visits_by_site)) {
        const row = sites.get(site) ?? { people: 0, visits: 0 };
        row.people++;
        row.visits += n;
        sites.set(site, row);
      }
      for (const [need, n] of Object.entries(u.prescriptions_by_need)) {
        const row = needs.get(need) ?? { people: 0, prescriptions: 0 };
        row.people++;
        row.prescriptions += n;
        needs.set(need, row);
      }
      for (const byOutcome of Object.values(u.outcomes_by_need)) {
        for (const [outcome, n] of Object.entries(byOutcome))
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + n);
      }
      enrolments += u.course_enrolments;
      sessions += u.sessions_attended;
      pathways += u.pathways_contacts;
    }
    const siteKeys = [...sites.keys()].sort();
    const siteTable = controlTable(
      siteKeys.map((k) => [sites.get(k)!.people, sites.get(k)!.visits]),
      this.policy,
    );
    const needKeys = [...needs.keys()].sort();
    const needTable = controlTable(
      needKeys.map((k) => [needs.get(k)!.people, needs.get(k)!.prescriptions]),
      this.policy,
    );
    const outcomeRows = controlBreakdown(
      [...outcomes.keys()].sort().map((k) => ({ key: k, count: outcomes.get(k)! })),
      this.policy,
    );
    const totals = [enrolments, sessions, pathways].map((n) => controlCount(n, this.policy));
    suppressed +=
      siteTable.cellsSuppressed + needTable.cellsSuppressed + outcomeRows.cellsSuppressed;
    suppressed += totals.filter((t) => t === null).length;

    const engagement = {
      visitsBySite: siteKeys.map((site, i) => ({
        site,
        people: siteTable.cells[i][0],
        visits: siteTable.cells[i][1],
      })),
      courseEnrolments: totals[0],
      sessionsAttended: totals[1],
      pathwaysContacts: totals[2],
      prescriptionsByNeed: needKeys.map((need, i) => ({
        need,
        people: needTable.cells[i][0],
        prescriptions: needTable.cells[i][1],
      })),
      prescriptionOutcomes: outcomeRows.rows.map((r) => ({
        outcome: r.key,
        prescriptions: r.count,
      })),
    };
    const indexDatesByMonth = months.rows.map((r) => ({ month: r.key, people: r.count }));
    const provenance = await this.provenance();
    const rows = [
      { section: 'cohort', key: 'size', people: size, count: size },
      ...indexDatesByMonth.map((r) => ({
        section: 'index_month',
        key: r.month,
        people: r.people,
        count: r.people,
      })),
      ...engagement.visitsBySite.map((r) => ({
        section: 'visits_by_site',
        key: r.site,
        people: r.people,
        count: r.visits,
      })),
      ...engagement.prescriptionsByNeed.map((r) => ({
        section: 'prescriptions_by_need',
        key: r.need,
        people: r.people,
        count: r.prescriptions,
      })),
      ...engagement.prescriptionOutcomes.map((r) => ({
        section: 'prescription_outcomes',
        key: r.outcome,
        people: null,
        count: r.prescriptions,
      })),
      { section: 'engagement', key: 'course_enrolments', people: null, count: totals[0] },
      { section: 'engagement', key: 'sessions_attended', people: null, count: totals[1] },
      { section: 'engagement', key: 'pathways_contacts', people: null, count: totals[2] },
    ];
    return {
      body: { size, indexDatesByMonth, engagement, cellsSuppressed: suppressed, provenance },
      rows,
      cellsSuppressed: suppressed,
    };
  }

  /**
   * The matched sets (opted-out people left out) and, for everyone in them, what the estimate
   * needs: death and the days (and values, for cost) of the given measures.
   */
  private async matchedSubjects(measures: readonly OutcomeMeasure[]): Promise<{
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
    for (const p of pairs) {
      const set = byUser.get(p.user_id) ?? {
        userId: p.user_id,
        indexDay: dayNumber(p.index_date),
        controlIds: [],
      };
      set.controlIds.push(p.control_id);
      byUser.set(p.user_id, set);
    }
    const people = [...new Set([...byUser.keys(), ...pairs.map((p) => p.control_id)])];
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
    washout = 3,
  ): Promise<QueryResult<Record<string, unknown>>> {
    const provenance = await this.provenance();
    const { sets, subjects, span, design, balanceAfter } = await this.matchedSubjects([
      measure,
      NEGATIVE_CONTROL_MEASURE as OutcomeMeasure,
    ]);
    const baseline: MonthWindow = [-before, -washout];
    const windows = { before: baseline, after: [0, after] as MonthWindow };
    const did = (m: string, w: { before: MonthWindow; after: MonthWindow }, seed: number) =>
      matchedDifferenceInDifferences(sets, subjects, m, w, span, BOOTSTRAP_REPS, mulberry32(seed));
    const seed = provenance.matching.seed;
    const result = did(measure, windows, seed);
    const placebo = did(measure, design.placebo, seed + 1);
    const negative = did(NEGATIVE_CONTROL_MEASURE, windows, seed + 2);
    const nUsers = controlCount(result.nUsers, this.policy);
    const nControls = controlCount(result.nControls, this.policy);
    const publishable =
      nUsers !== null &&
      nControls !== null &&
      result.nUsers > this.policy.threshold &&
      result.nControls > this.policy.threshold;
    // A rate over a small number of events is suppressed too: rate x person-years would give it away.
    const rate = (x: number, n: number, personYears: number) => {
      const events = x * personYears;
      const smallNumerator =
        measure !== 'cost' && events > 0 && Math.round(events) <= this.policy.threshold;
      return publishable && !smallNumerator ? round(controlRate(x, n, this.policy)) : null;
    };
    const cellsSuppressed = [nUsers, nControls].filter((v) => v === null).length;
    const diagnostics = this.diagnostics(result, placebo, negative, balanceAfter, measure);
    const body = {
      measure,
      unit: MEASURE_UNITS[measure],
      before,
      after,
      washout,
      baselineMonths: baseline,
      nUsers,
      nControls,
      users: {
        before: rate(result.users.before, result.nUsers, result.users.personYearsBefore),
        after: rate(result.users.after, result.nUsers, result.users.personYearsAfter),
      },
      controls: {
        before: rate(result.controls.before, result.nControls, result.controls.personYearsBefore),
        after: rate(result.controls.after, result.nControls, result.controls.personYearsAfter),
      },
      did: null as number | null,
      ci95: [null, null] as [number | null, number | null],
      bootstrapReps: BOOTSTRAP_REPS,
      bootstrap: 'users and distinct controls resampled (controls are matched with replacement)',
      diagnostics: null as null | ReturnType<AnalyticsQueries['diagnostics']>,
      cellsSuppressed,
      provenance,
    };
    const allRates = [
      body.users.before,
      body.users.after,
      body.controls.before,
      body.controls.after,
    ];
    if (allRates.every((r) => r !== null)) {
      body.did = round(result.did);
      body.ci95 = [round(result.ci95[0]), round(result.ci95[1])];
      // Diagnostics are differences of rates over the same people: shown only with the estimate.
      body.diagnostics = diagnostics;
    }
    const csv = [
      {
        group: 'users',
        n: nUsers,
        before: body.users.before,
        after: body.users.after,
        did: body.did,
        ci95_low: body.ci95[0],
        ci95_high: body.ci95[1],
      },
      {
        group: 'controls',
        n: nControls,
        before: body.controls.before,
        after: body.controls.after,
        did: body.did,
        ci95_low: body.ci95[0],
        ci95_high: body.ci95[1],
      },
    ];
    return { body, rows: csv, cellsSuppressed };
  }

  /** Which diagnostics passed, in words a reviewer reads, beside every estimate. */
  private diagnostics(
    estimate: MatchedDid,
    placebo: MatchedDid,
    negative: MatchedDid,
    balanceAfter: readonly BalanceRowLike[],
    measure: string,
  ) {
    const maxAbsSmd = balanceAfter.reduce((m, r) => Math.max(m, Math.abs(r.smd)), 0);
    const preTrendPassed = covers(placebo.ci95, 0);
    const negativePassed = covers(negative.ci95, 0);
    const balanced = balancePassed(balanceAfter as never);
    return {
      balance: {
        passed: balanced,
        maxAbsSmdAfter: round(maxAbsSmd),
        limit: BALANCE_SMD_LIMIT,
        covariates: balanceAfter.length,
      },
      preTrend: {
        passed: preTrendPassed,
        placeboDid: round(placebo.did),
        ci95: [round(placebo.ci95[0]), round(placebo.ci95[1])],
        warning: preTrendPassed
          ? null
          : `The placebo difference in differences between two pre-index periods excludes zero for ${measure}: users and controls were not on parallel paths before the index date, so the estimate may be biased.`,
      },
      negativeControl: {
        measure: NEGATIVE_CONTROL_MEASURE,
        passed: negativePassed,
        did: round(negative.did),
        ci95: [round(negative.ci95[0]), round(negative.ci95[1])],
        why: 'planned (elective) admissions follow a surgical referral and a waiting list; the Life Rooms cannot plausibly change them within a year, but they share the confounding of the other measures',
        warning: negativePassed
          ? null
          : 'The negative-control outcome shows an "effect" the Life Rooms cannot have: suspect residual confounding.',
      },
      passed: balanced && preTrendPassed && negativePassed,
      estimateSets: estimate.sets,
    };
  }

  /**
   * Event study: monthly rates of users and matched controls from 24 months before to 24 after
   * the index date. A month whose events in either group are small is suppressed.
   */
  async eventStudy(measure: OutcomeMeasure): Promise<QueryResult<Record<string, unknown>>> {
    const provenance = await this.provenance();
    const { sets, subjects, span, design } = await this.matchedSubjects([measure]);
    const [from, to] = design.eventStudy;
    const series = eventStudy(sets, subjects, measure, from, to, span);
    const publishable = sets.length > this.policy.threshold;
    let cellsSuppressed = 0;
    const small = (events: number) =>
      measure !== 'cost' && events > 0 && Math.round(events) <= this.policy.threshold;
    const points = series.map((p) => {
      const hidden = !publishable || small(p.userEvents) || small(p.controlEvents);
      if (hidden) cellsSuppressed++;
      return {
        month: p.month,
        users: hidden ? null : round(p.users),
        controls: hidden ? null : round(p.controls),
      };
    });
    const body = {
      measure,
      unit: MEASURE_UNITS[measure],
      months: [from, to],
      matchedUsers: controlCount(sets.length, this.policy),
      washoutMonths: -design.baseline[1],
      series: points,
      cellsSuppressed,
      provenance,
    };
    return { body, rows: points.map((p) => ({ ...p })), cellsSuppressed };
  }

  /** Cohort users by one fixed dimension, with the measure's rate in the year after the index date. */
  async breakdown(
    dimension: BreakdownDimension,
    measure: OutcomeMeasure,
    after = 12,
  ): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.s;
    const provenance = await this.provenance();
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
    const groups = new Map<string, { people: number; events: number; days: number }>();
    const add = (key: string | number | null | undefined, u: (typeof users)[number]) => {
      const k = key === null || key === undefined ? 'unknown' : String(key);
      const g = groups.get(k) ?? { people: 0, events: 0, days: 0 };
      g.people++;
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
    const keys = [...groups.keys()].sort(compareKeys);
    // Cost is money, not a count: only the people column is a count to control.
    const counts = keys.map((k) =>
      measure === 'cost'
        ? [groups.get(k)!.people]
        : [groups.get(k)!.people, Math.round(groups.get(k)!.events)],
    );
    const table = controlTable(counts, this.policy);
    const out = keys.map((key, i) => {
      const g = groups.get(key)!;
      const people = table.cells[i][0];
      const events: ControlledCount = measure === 'cost' ? null : table.cells[i][1];
      const py = g.days / 365.25;
      const hidden = people === null || (measure !== 'cost' && events === null);
      const ratePerPersonYear =
        hidden || py === 0 ? null : round(controlRate(g.events / py, g.people, this.policy));
      return { key, people, ...(measure === 'cost' ? {} : { events }), ratePerPersonYear };
    });
    const cellsSuppressed = table.cellsSuppressed;
    return {
      body: {
        dimension,
        measure,
        unit: MEASURE_UNITS[measure],
        after,
        rows: out,
        totalPeople: table.columnTotals[0] ?? 0,
        cellsSuppressed,
        provenance,
      },
      rows: out.map((r) => ({
        [dimension]: r.key,
        people: r.people,
        events: 'events' in r ? (r.events ?? null) : null,
        rate_per_person_year: r.ratePerPersonYear,
      })),
      cellsSuppressed,
    };
  }

  /** SWEMWBS metric scores: baseline, follow-up and change among users with both. */
  async wellbeing(): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.s;
    const provenance = await this.provenance();
    const rows = await this.sql<{ baseline: number; follow_up: number; change: number }[]>`
      select l.wellbeing_baseline as baseline, l.wellbeing_follow_up as follow_up, l.wellbeing_change as change
      from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and l.wellbeing_change is not null and not coalesce(p.opted_out, false)`;
    const [baselineOnly] = await this.sql<{ n: number }[]>`
      select count(*)::int as n from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
      where l.person_id is not null and l.wellbeing_baseline is not null and not coalesce(p.opted_out, false)`;
    const n = rows.length;
    const mean = (xs: number[]) =>
      xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
    const changes = rows.map((r) => Number(r.change));
    const sd = Math.sqrt(
      mean(changes.map((c) => (c - mean(changes)) ** 2)) * (n / Math.max(1, n - 1)),
    );
    const meanChange = mean(changes);
    const improved = changes.filter((c) => c >= WELLBEING_MEANINGFUL_CHANGE).length;
    const worsened = changes.filter((c) => c <= -WELLBEING_MEANINGFUL_CHANGE).length;
    const categories = controlBreakdown(
      [
        { key: 'improved', count: improved },
        { key: 'no_meaningful_change', count: n - improved - worsened },
        { key: 'worsened', count: worsened },
      ],
      this.policy,
    );
    const withBaseline = controlCount(baselineOnly?.n ?? 0, this.policy);
    const nControlled = controlCount(n, this.policy);
    const cellsSuppressed =
      categories.cellsSuppressed + [withBaseline, nControlled].filter((v) => v === null).length;
    const publish = (x: number) =>
      nControlled === null ? null : round(controlRate(x, n, this.policy));
    const half = 1.96 * (sd / Math.sqrt(Math.max(1, n)));
    const body = {
      instrument: 'swemwbs',
      scale: 'metric',
      peopleWithBaseline: withBaseline,
      peopleWithFollowUp: nControlled,
      meanBaseline: publish(mean(rows.map((r) => Number(r.baseline)))),
      meanFollowUp: publish(mean(rows.map((r) => Number(r.follow_up)))),
      meanChange: publish(meanChange),
      ci95: [publish(meanChange - half), publish(meanChange + half)],
      meaningfulChange: WELLBEING_MEANINGFUL_CHANGE,
      changeCategories: categories.rows.map((r) => ({ category: r.key, people: r.count })),
      cellsSuppressed,
      provenance,
    };
    return {
      body,
      rows: [
        { measure: 'people_with_baseline', value: body.peopleWithBaseline },
        { measure: 'people_with_follow_up', value: body.peopleWithFollowUp },
        { measure: 'mean_baseline', value: body.meanBaseline },
        { measure: 'mean_follow_up', value: body.meanFollowUp },
        { measure: 'mean_change', value: body.meanChange },
        ...body.changeCategories.map((c) => ({ measure: `people_${c.category}`, value: c.people })),
      ],
      cellsSuppressed,
    };
  }

  /** Balance of the matched comparison: SMDs before and after matching, with its settings. */
  async balance(): Promise<QueryResult<Record<string, unknown>>> {
    const s = this.s;
    const provenance = await this.provenance();
    const [run] = await this.sql<
      {
        users: number;
        matched_users: number;
        unmatched_users: number;
        relaxed_users: number;
        balance: { before: BalanceRowLike[]; after: BalanceRowLike[] };
      }[]
    >`select users, matched_users, unmatched_users, relaxed_users, balance from ${s}.matching_run where id = 1`;
    const counts = [
      run?.users ?? 0,
      run?.matched_users ?? 0,
      run?.unmatched_users ?? 0,
      run?.relaxed_users ?? 0,
    ].map((n) => controlCount(n, this.policy));
    const cellsSuppressed = counts.filter((c) => c === null).length;
    const publish = counts[1] !== null && (run?.matched_users ?? 0) > this.policy.threshold;
    const covariates = (run?.balance.before ?? []).map((b, i) => {
      const a = run!.balance.after[i];
      return {
        covariate: b.covariate,
        smdBefore: publish ? round(b.smd) : null,
        smdAfter: publish ? round(a?.smd) : null,
        meanUsersBefore: publish ? round(b.meanUsers) : null,
        meanComparisonBefore: publish ? round(b.meanControls) : null,
        meanUsersAfter: publish ? round(a?.meanUsers) : null,
        meanControlsAfter: publish ? round(a?.meanControls) : null,
      };
    });
    return {
      body: {
        cohortUsers: counts[0],
        matchedUsers: counts[1],
        unmatchedUsers: counts[2],
        relaxedUsers: counts[3],
        balanced: publish ? covariates.every((c) => Math.abs(c.smdAfter ?? 0) < 0.1) : null,
        covariates,
        cellsSuppressed,
        provenance,
      },
      rows: covariates.map((c) => ({ ...c })),
      cellsSuppressed,
    };
  }
}

interface BalanceRowLike {
  covariate: string;
  meanUsers: number;
  meanControls: number;
  smd: number;
}

function tally(values: string[]): Array<{ key: string; count: number }> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.keys()].sort().map((key) => ({ key, count: counts.get(key)! }));
}

function compareKeys(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function round(x: number | null | undefined): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  return Math.round(x * 10000) / 10000;
}
