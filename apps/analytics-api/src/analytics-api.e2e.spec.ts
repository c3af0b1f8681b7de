import { randomBytes } from 'node:crypto';
import {
  DEFAULT_PUBLISHING_POLICY,
  niceStepAtLeast,
  OUTCOME_MEASURES,
  SUPPRESSION_RULES,
} from '@linkage/domain';
import { DsaRegistry, mintToken } from '@linkage/governance';
import { createAnalyticsApp, type AnalyticsApp } from './create-analytics-app';
import { AnalyticsQueries, BREAKDOWN_DIMENSIONS } from './analytics/analytics.queries';
import { ingestedPopulation, type PipelineFixture } from './testing/pipeline-fixture';

/** Keys whose values are counts of people or events: never 1 to 7 once published. */
const COUNT_KEY =
  /^(people|count|visits|prescriptions|events|size|n|nUsers|nControls|total\w*|\w*Users|courseEnrolments|sessionsAttended|pathwaysContacts|peopleWith\w*)$/;
const PERSON_LEVEL_KEY =
  /^(person_?id|nhs\w*|link_?key|subject|record_?id|year_?of_?birth|date_?of_?birth|postcode|\w*name|sex)$/i;
const PSEUDONYM = /\b[0-9a-f]{32}\b/;

function walk(value: unknown, visit: (key: string, v: unknown) => void, key = ''): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit, key));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'provenance') continue; // settings (k, seed, threshold), not counts
      visit(k, v);
      walk(v, visit, k);
    }
  }
}

describe('analytics API end to end', () => {
  let fixture: PipelineFixture;
  let api: AnalyticsApp;
  let token: string;
  let officerToken: string;

  beforeAll(async () => {
    fixture = await ingestedPopulation({ cohort: 300, seed: 'api-e2e' });
    const jwtSecret = randomBytes(32);
    api = await createAnalyticsApp({ db: fixture.db, port: 0, store: fixture.store, jwtSecret });
    await new DsaRegistry(fixture.db.sql).add({
      ref: 'dsa-liferooms-eval',
      purposes: ['evaluation'],
      roles: ['analyst', 'governance-officer'],
    });
    token = mintToken(
      { user: 'ana', role: 'analyst', purpose: 'evaluation', dsa: 'dsa-liferooms-eval' },
      jwtSecret,
    ).token;
    officerToken = mintToken(
      { user: 'gov', role: 'governance-officer', purpose: 'evaluation', dsa: 'dsa-liferooms-eval' },
      jwtSecret,
    ).token;
  }, 400_000); // generate, ingest, project and match: minutes on a loaded 2-core machine
  afterAll(async () => {
    await api?.close();
    await fixture?.close();
  });

  const get = async (path: string, accept = 'application/json', bearer = token) => {
    try {
      return await fetch(`${api.url}${path}`, {
        headers: { accept, authorization: `Bearer ${bearer}` },
      });
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message} ${String((error as Error).cause)}`);
    }
  };

  // Every route, every measure, every dimension, two windows from the grid.
  const endpoints = [
    '/v1/cohort',
    '/v1/wellbeing',
    '/v1/wellbeing/distributions',
    '/v1/matching/balance',
    ...OUTCOME_MEASURES.map((m) => `/v1/outcomes?measure=${m}&before=12&after=12`),
    ...['crisis', 'ae'].map((m) => `/v1/outcomes?measure=${m}&before=6&after=24`),
    ...BREAKDOWN_DIMENSIONS.flatMap((d) =>
      OUTCOME_MEASURES.map((m) => `/v1/breakdowns/${d}?measure=${m}`),
    ),
    '/v1/outcomes?measure=crisis&washout=0',
    '/v1/outcomes/event-study?measure=crisis',
    '/v1/outcomes/event-study?measure=gp',
  ];

  /** Significant figures of a published number (trailing zeros of an integer do not count). */
  const significantFigures = (x: number) =>
    x === 0 ? 0 : String(Math.abs(x)).replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
  const decimals = (x: number) => (String(x).split('.')[1] ?? '').length;
  const onStep = (x: number, step: number) => Math.abs(x / step - Math.round(x / step)) < 1e-6;

  /**
   * Checks every statistic of a body by its kind: counts, rates, means, SMDs, estimates with
   * intervals; and the suppressed list (cells and rules, never values).
   */
  function checkEveryKind(path: string, body: Record<string, unknown>): number {
    let checked = 0;
    const problems: unknown[] = [];
    const fail = (what: string, v: unknown) => problems.push([what, v]);
    walk(body, (key, v) => {
      if (typeof v !== 'number') return;
      checked++;
      if (COUNT_KEY.test(key) && !(v === 0 || (v >= 10 && v % 5 === 0))) fail(`count ${key}`, v);
      if (/^smd/.test(key) && decimals(v) > DEFAULT_PUBLISHING_POLICY.smdDecimals)
        fail(`smd ${key}`, v);
      if (
        (key === 'before' || key === 'after' || key === 'ratePerPersonYear') &&
        v !== Math.round(v)
      )
        if (significantFigures(v) > DEFAULT_PUBLISHING_POLICY.significantFigures)
          fail(`rate ${key}`, v);
    });
    expect([path, problems]).toEqual([path, []]);
    const suppressed = body.suppressed as Array<Record<string, unknown>>;
    expect(Array.isArray(suppressed)).toBe(true);
    const malformed = suppressed.filter(
      (cell) =>
        Object.keys(cell).sort().join() !== 'cell,kind,rule' ||
        !(SUPPRESSION_RULES as readonly unknown[]).includes(cell.rule),
    );
    expect([path, malformed]).toEqual([path, []]);
    expect(body.cellsSuppressed).toBe(suppressed.length);
    return checked;
  }

  it('answers every endpoint in JSON with provenance, no count from 1 to 7, nothing person-level', async () => {
    let statistics = 0;
    for (const path of endpoints) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 200]);
      const text = await res.text();
      expect(text).not.toMatch(PSEUDONYM);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body.provenance).toMatchObject({
        eventStorePosition: expect.any(String),
        matching: { k: 3, seed: expect.any(Number) },
        unitCostVersion: expect.stringMatching(/^nhs-unit-costs-/),
        disclosurePolicy: { threshold: 7, rounding: 5 },
        publishingPolicy: { version: DEFAULT_PUBLISHING_POLICY.version },
      });
      expect(typeof body.cellsSuppressed).toBe('number');
      statistics += checkEveryKind(path, body);
      // Problems are collected and asserted once: an expect per key is slow on big bodies.
      const problems: unknown[] = [];
      walk(body, (key, v) => {
        if (PERSON_LEVEL_KEY.test(key)) problems.push([key, 'person-level']);
        if (COUNT_KEY.test(key) && typeof v === 'number' && v >= 1 && v <= 7)
          problems.push([key, v]);
      });
      expect([path, problems]).toEqual([path, []]);
    }
    expect(statistics).toBeGreaterThan(500);
    // ~70 endpoints, each outcome with its placebo and negative-control bootstraps.
  }, 300_000);

  it('publishes means to the precision their group supports and estimates only with their rates', async () => {
    const wellbeing = (await (await get('/v1/wellbeing')).json()) as Record<string, number | null>;
    const n = wellbeing.peopleWithFollowUp!;
    expect(n).toBeGreaterThanOrEqual(10);
    const step = (range: number) => niceStepAtLeast((5 * range) / Math.max(8, n - 2));
    for (const [key, range] of [
      ['meanBaseline', 28],
      ['meanFollowUp', 28],
      ['meanChange', 56],
    ] as const) {
      const v = wellbeing[key];
      if (v !== null) expect([key, onStep(v, step(range))]).toEqual([key, true]);
    }
    const balance = (await (await get('/v1/matching/balance')).json()) as {
      matchedUsers: number;
      covariates: Array<Record<string, number | null>>;
    };
    const age = balance.covariates.find((c) => c.covariate === ('age' as never))!;
    if (age.meanUsersAfter !== null) {
      const ageStep = niceStepAtLeast((5 * 110) / Math.max(8, balance.matchedUsers - 2));
      expect(onStep(age.meanUsersAfter, ageStep)).toBe(true);
    }
    for (const m of OUTCOME_MEASURES) {
      const o = (await (await get(`/v1/outcomes?measure=${m}`)).json()) as {
        did: number | null;
        ci95: [number | null, number | null];
        users: { before: number | null; after: number | null };
        controls: { before: number | null; after: number | null };
      };
      const rates = [o.users.before, o.users.after, o.controls.before, o.controls.after];
      if (o.did !== null) expect(rates.every((r) => r !== null)).toBe(true);
      expect(o.ci95[0] === null).toBe(o.did === null);
    }
  });

  it('breakdowns: distinct totalPeople, rates only beside their counts, no exact count solvable across measures', async () => {
    const cohort = (await (await get('/v1/cohort')).json()) as { size: number };
    const exact = new AnalyticsQueries(fixture.db.sql, { threshold: 0, rounding: 1 });
    let cells = 0;
    let solved = 0;
    for (const dimension of ['site', 'need', 'postcode-district', 'imd-decile'] as const) {
      const measures = ['crisis', 'ae', 'gp', 'mental_health', 'nhs111'] as const;
      const published = new Map<string, Array<{ count: number | null; rate: number | null }>>();
      const truth = new Map<string, number[]>();
      for (const measure of measures) {
        const body = (await (
          await get(`/v1/breakdowns/${dimension}?measure=${measure}`)
        ).json()) as {
          totalPeople: number;
          rows: Array<{
            key: string;
            people: number | null;
            events: number | null;
            ratePerPersonYear: number | null;
          }>;
        };
        expect(body.totalPeople).toBeLessThanOrEqual(cohort.size + 5);
        for (const row of body.rows) {
          if (row.ratePerPersonYear !== null) {
            expect(row.people).not.toBeNull();
            expect(row.events).not.toBeNull();
            expect(row.people!).toBeGreaterThanOrEqual(10);
          }
          published.set(row.key, [
            ...(published.get(row.key) ?? []),
            { count: row.events, rate: row.ratePerPersonYear },
          ]);
        }
        const exactRows = (await exact.breakdown(dimension, measure)).body.rows as Array<{
          key: string;
          events: number;
        }>;
        for (const row of exactRows)
          truth.set(row.key, [...(truth.get(row.key) ?? []), row.events]);
      }
      // The attack from issue 11: all measures of a group share one person-time denominator, so
      // exact rates beside rounded counts let the denominator, and then every count, be solved.
      for (const [key, answers] of published) {
        const exactCounts = truth.get(key)!;
        const first = answers[0];
        if (first.count === null || !first.rate) continue;
        cells++;
        const solutions: number[] = [];
        for (let e = Math.max(1, first.count - 2); e <= first.count + 2; e++) {
          const personYears = e / first.rate;
          const consistent = answers.every((a) => {
            if (a.count === null || a.rate === null) return true;
            const implied = a.rate * personYears;
            return (
              Math.abs(implied - Math.round(implied)) < 0.01 && Math.abs(implied - a.count) <= 2
            );
          });
          if (consistent) solutions.push(e);
        }
        if (
          solutions.length === 1 &&
          solutions[0] === exactCounts[0] &&
          first.count !== exactCounts[0]
        )
          solved++;
      }
    }
    expect(cells).toBeGreaterThan(5);
    // Before the gate this solved the exact count of nearly every group; now (almost) none.
    expect(solved / cells).toBeLessThan(0.2);
  });

  it('answers every endpoint in CSV, with no count from 1 to 7 and no person-level column', async () => {
    for (const path of endpoints) {
      const res = await get(path, 'text/csv');
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.headers.get('content-type')).toMatch(/text\/csv/);
      const [header, ...lines] = (await res.text()).trim().split('\n');
      const columns = header.split(',');
      expect(columns.filter((c) => PERSON_LEVEL_KEY.test(c))).toEqual([]);
      const problems: unknown[] = [];
      for (const line of lines) {
        if (PSEUDONYM.test(line)) problems.push(['pseudonym', line]);
        const cells = line.split(',');
        columns.forEach((column, i) => {
          const countColumn =
            /^(people|count|n|events)$/.test(column) ||
            (column === 'value' && /^people_/.test(cells[0]));
          if (countColumn && cells[i] !== '') {
            const v = Number(cells[i]);
            if (v >= 1 && v <= 7) problems.push([column, v]);
          }
        });
      }
      expect([path, problems]).toEqual([path, []]);
      expect(res.headers.get('x-linkage-policy-version')).toBe(DEFAULT_PUBLISHING_POLICY.version);
      expect(Array.isArray(JSON.parse(res.headers.get('x-linkage-suppressed') ?? 'null'))).toBe(
        true,
      );
    }
  }, 180_000); // every endpoint, as the JSON walk above: generous for a loaded machine

  it('gives the same numbers for the same data and settings', async () => {
    const a = (await (await get('/v1/outcomes?measure=ae')).json()) as { ci95: unknown };
    const b = await (await get('/v1/outcomes?measure=ae')).json();
    expect(a).toEqual(b);
    expect(a).toMatchObject({ measure: 'ae', nUsers: expect.any(Number) });
    expect(Array.isArray(a.ci95)).toBe(true);
  });

  it('says beside every estimate which diagnostics passed', async () => {
    const body = (await (await get('/v1/outcomes?measure=gp')).json()) as {
      washout: number;
      diagnostics: {
        balance: { passed: boolean; maxAbsSmdAfter: number };
        preTrend: { passed: boolean; ci95: number[]; warning: string | null };
        negativeControl: { measure: string; passed: boolean };
        passed: boolean;
      };
    };
    expect(body.washout).toBe(3);
    const d = body.diagnostics;
    expect(typeof d.balance.passed).toBe('boolean');
    expect(d.preTrend.ci95).toHaveLength(2);
    // A warning exactly when the placebo interval excludes zero.
    const [low, high] = d.preTrend.ci95;
    expect(d.preTrend.warning === null).toBe(low <= 0 && high >= 0);
    expect(d.negativeControl.measure).toBe('elective_admission');
    expect(d.passed).toBe(d.balance.passed && d.preTrend.passed && d.negativeControl.passed);
    expect((await get('/v1/outcomes?measure=gp&before=6&washout=6')).status).toBe(400);
  });

  it('serves an event study from 24 months before to 24 after the index date', async () => {
    const body = (await (await get('/v1/outcomes/event-study?measure=ae')).json()) as {
      series: Array<{ month: number; users: number | null; controls: number | null }>;
    };
    expect(body.series.map((p) => p.month)).toEqual(Array.from({ length: 48 }, (_, i) => i - 24));
    expect(body.series.some((p) => p.users !== null)).toBe(true);
  });

  it('refuses roles without read:outcomes and unknown measures; audits each call', async () => {
    expect((await get('/v1/cohort', 'application/json', officerToken)).status).toBe(403);
    expect((await get('/v1/outcomes?measure=nope')).status).toBe(400);
    expect((await fetch(`${api.url}/v1/cohort`)).status).toBe(401);
    const rows = await fixture.db.sql<
      { result_size: number | null; cells_suppressed: number | null }[]
    >`
      select result_size, cells_suppressed from governance.audit_trail where outcome = 'ok'`;
    expect(rows.length).toBeGreaterThanOrEqual(endpoints.length * 2);
    expect(rows.every((r) => r.result_size !== null && r.cells_suppressed !== null)).toBe(true);
  });

  it('names the allowed values when measure or dimension is missing or unknown', async () => {
    const missing = await get('/v1/outcomes');
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as { reason: string; allowed: string[]; message: string };
    expect(body).toMatchObject({ reason: 'measure_required', field: '/measure' });
    expect(body.allowed).toEqual(expect.arrayContaining(['crisis', 'ae']));
    expect(body.message).toMatch(/measure is required: one of .*crisis/);
    const unknown = (await (await get('/v1/outcomes?measure=nope')).json()) as {
      reason: string;
      allowed: string[];
    };
    expect(unknown).toMatchObject({ reason: 'unknown_measure', allowed: body.allowed });
    const dimension = (await (await get('/v1/breakdowns/nope?measure=ae')).json()) as {
      reason: string;
      allowed: string[];
    };
    expect(dimension.reason).toBe('unknown_dimension');
    expect(dimension.allowed.length).toBeGreaterThan(0);
  });

  it('serves health with projection lag, metrics and the OpenAPI document without a token', async () => {
    const health = await (await fetch(`${api.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', projection: { lagEvents: 0 } });
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/linkage_projection_lag_events/);
    expect((await fetch(`${api.url}/docs`)).status).toBe(200);
  });
});
