import { randomBytes } from 'node:crypto';
import { DsaRegistry, mintToken } from '@linkage/governance';
import { createAnalyticsApp, type AnalyticsApp } from './create-analytics-app';
import { BREAKDOWN_DIMENSIONS } from './analytics/analytics.queries';
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
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await fixture?.close();
  });

  const get = (path: string, accept = 'application/json', bearer = token) =>
    fetch(`${api.url}${path}`, { headers: { accept, authorization: `Bearer ${bearer}` } });

  const endpoints = [
    '/v1/cohort',
    '/v1/wellbeing',
    '/v1/matching/balance',
    ...['crisis', 'ae', 'gp', 'cost', 'nhs111'].map(
      (m) => `/v1/outcomes?measure=${m}&before=12&after=12`,
    ),
    ...BREAKDOWN_DIMENSIONS.map((d) => `/v1/breakdowns/${d}?measure=ae`),
    '/v1/breakdowns/lsoa?measure=cost',
  ];

  it('answers every endpoint in JSON with provenance, no count from 1 to 7, nothing person-level', async () => {
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
      });
      expect(typeof body.cellsSuppressed).toBe('number');
      walk(body, (key, v) => {
        expect([path, key, PERSON_LEVEL_KEY.test(key)]).toEqual([path, key, false]);
        if (COUNT_KEY.test(key) && typeof v === 'number') {
          expect([path, key, v >= 1 && v <= 7]).toEqual([path, key, false]);
        }
      });
    }
  });

  it('answers every endpoint in CSV, with no count from 1 to 7 and no person-level column', async () => {
    for (const path of endpoints) {
      const res = await get(path, 'text/csv');
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.headers.get('content-type')).toMatch(/text\/csv/);
      const [header, ...lines] = (await res.text()).trim().split('\n');
      const columns = header.split(',');
      expect(columns.filter((c) => PERSON_LEVEL_KEY.test(c))).toEqual([]);
      for (const line of lines) {
        expect(line).not.toMatch(PSEUDONYM);
        const cells = line.split(',');
        columns.forEach((column, i) => {
          const countColumn =
            /^(people|count|n|events)$/.test(column) ||
            (column === 'value' && /^people_/.test(cells[0]));
          if (countColumn && cells[i] !== '') {
            const v = Number(cells[i]);
            expect([path, column, v >= 1 && v <= 7]).toEqual([path, column, false]);
          }
        });
      }
    }
  });

  it('gives the same numbers for the same data and settings', async () => {
    const a = (await (await get('/v1/outcomes?measure=ae')).json()) as { ci95: unknown };
    const b = await (await get('/v1/outcomes?measure=ae')).json();
    expect(a).toEqual(b);
    expect(a).toMatchObject({ measure: 'ae', nUsers: expect.any(Number) });
    expect(Array.isArray(a.ci95)).toBe(true);
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
