/**
 * The adversarial suite, part 3: every route, gate and ledger. Real PostgreSQL, the real event
 * store, projector, matching and segmentation, the analytics API (with the web page mounted, as
 * `linkage serve` runs it) and the governance API over HTTP.
 *
 * 1. The endpoint walk lists every route the two apps serve (from their routers, not from a list
 *    kept by hand) and fails on a route it neither walks nor names as publishing nothing about
 *    people. Each walked answer, JSON and CSV, may hold only numbers that came out of the
 *    publishing gate during that request (or differences of two of them, for changes), and that
 *    gate must have been checked against the caller's DSA ledger.
 * 2. Attacks that the ledger now stops on the two routes that used to skip it: the Life Rooms lens
 *    of a segment holding all users but three, differenced against `/v1/outcomes`, and the LSOA
 *    map asked again after a few people arrive.
 * 3. The per-area segment trend: a second run after new data changes an area's count; withheld
 *    cells stay withheld across the trend, the sizes and the areas.
 *
 * The population is hand-made and small (everyone alike, so matching always finds controls):
 * 60 Life Rooms users and 300 others in four local authorities.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { parse } from 'csv-parse/sync';
import { openDatabase, type Database } from '@linkage/database';
import { OUTCOME_MEASURES, type GateResult } from '@linkage/domain';
import { PostgresqlEventStore } from '@linkage/event-store';
import { DsaRegistry, mintToken, type Role } from '@linkage/governance';
import { loadRuleset } from '@linkage/segmentation';
import {
  canonicalEvent,
  createFreshDatabase,
  lifeRoomsUserStream,
  LIVERPOOL_L9,
  residentStream,
  type TestPlace,
} from '@linkage/testing';
import { catchUp, runMatching, runSegmentation } from '../../apps/projector/src';
import {
  ANALYTICS_QUERIES,
  BREAKDOWN_DIMENSIONS,
  SEGMENT_AREA_LEVELS,
  createAnalyticsApp,
  type AnalyticsApp,
  type AnalyticsQueries,
  type PublicationListener,
} from '../../apps/analytics-api/src';
import { createGovernanceApp, RELEASE_QUERIES } from '../../apps/governance-api/src';
import { WebModule } from '../../apps/web/src';

const PURPOSE = 'evaluation';
const AS_OF = '2023-12-31';

type Place = TestPlace;
const LIVERPOOL = LIVERPOOL_L9;
const SEFTON: Place = {
  localAuthority: 'Sefton',
  lsoa: 'E01007001',
  sector: 'L20 3',
  district: 'L20',
};
const WIRRAL: Place = {
  localAuthority: 'Wirral',
  lsoa: 'E01007201',
  sector: 'CH41 1',
  district: 'CH41',
};
const KNOWSLEY: Place = {
  localAuthority: 'Knowsley',
  lsoa: 'E01006401',
  sector: 'L36 5',
  district: 'L36',
};

/** A Life Rooms user in Liverpool; users 1-3 have diabetes (so not "generally well"). */
const user = (n: number) =>
  lifeRoomsUserStream(n, (p) =>
    n <= 3
      ? [
          canonicalEvent('ConditionRecorded', '2020-05-01T00:00:00Z', {
            personId: p,
            cluster: 'diabetes',
          }),
        ]
      : [],
  );

const resident = residentStream;

/** One gated publication seen during a request. */
interface Seen {
  dsa: string | undefined;
  ledgerChecked: boolean;
  result: GateResult;
}

/**
 * Routes that publish nothing about the people in the data, each with the reason. Every other
 * route the apps serve must be walked below.
 */
const PUBLISHES_NOTHING_ABOUT_PEOPLE: Record<string, string> = {
  'GET /health': 'service health: projection lag and positions, no statistic about people',
  'GET /metrics': 'process and request metrics of the service, no statistic about people',
  'GET /': 'the web page (static); its numbers come from the walked routes',
  'GET /web/:name': 'static files of the web page',
  'GET /v1/session': 'sign-in: the caller and their permissions',
  'GET /v1/audit': 'the audit trail: who accessed what (service users), officers only',
  'GET /v1/audit/verify': 'the audit trail hash chain check',
  'GET /v1/audit/export': 'the audit trail as a file, officers only',
  'GET /v1/audit/reports/monthly': 'accesses per user and month: about service users',
  'GET /v1/releases': 'release requests: metadata and the gate report (cells and rules, no values)',
  'GET /v1/releases/:id': 'one release request: metadata and the gate report, no values',
  'POST /v1/releases/:id/review': 'an output checker decision: metadata only',
};

/** The OpenAPI document and its viewer (Swagger UI files): route descriptions, no data. */
const OPENAPI_ROUTE = /^GET \/docs(\b|-json$|-yaml$)/;

/**
 * Numbers in answers that are settings or parameters, not statistics (echoed back so a reader
 * knows what was asked): each is the same for any data.
 */
const SETTING_KEYS = new Set([
  'before',
  'after',
  'washout',
  'bootstrapReps',
  'limit',
  'covariates',
  'months',
  'month',
  'washoutMonths',
  'baselineMonths',
  'meaningfulChange',
  'outcomeMinimumUsers',
  // A score bin's bounds and width (SWEMWBS metric points): the scale, the same for any data.
  'binWidth',
  'from',
  'to',
]);
/** Release metadata: how many times the file was downloaded. */
const METADATA_KEYS = new Set(['downloads']);
/** CSV columns that label a row (an IMD decile is a label there), not statistics. */
const LABEL_COLUMNS =
  /^(area|key|site|need|lsoa|imd[-_]decile|postcode[-_]sector|postcode[-_]district|local[-_]authority|from|to)$/;
/** Keys holding rule definitions (segment criteria), not statistics. */
const SKIPPED_KEYS = new Set(['provenance', 'criteria']);
/** Outcome rates and windows share names (`before`/`after`): under these they are statistics. */
const STATISTIC_PARENTS = new Set(['users', 'controls']);

describe('every route through the gate and the ledger (end to end)', () => {
  const jwtSecret = randomBytes(32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-every-route-'));
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;
  let analytics: AnalyticsApp;
  let governance: INestApplication;
  let governanceUrl: string;
  const seen: Seen[] = [];
  /** Numbers found in answers and traced to the gate (so the walk is known to look at some). */
  let traced = 0;
  const listener: PublicationListener = ({ audience, result, ledgerChecked }) =>
    seen.push({ dsa: audience?.dsa, ledgerChecked, result });

  async function dsaToken(dsa: string, user: string, role: Role = 'analyst'): Promise<string> {
    await new DsaRegistry(db.sql).add({
      ref: dsa,
      purposes: [PURPOSE],
      roles: ['analyst', 'output_checker'],
    });
    return mintToken({ user, role, purpose: PURPOSE, dsa }, jwtSecret).token;
  }

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_every_route');
    db = await openDatabase({ url: fresh.url, max: 10 });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
    const people = [
      ...Array.from({ length: 60 }, (_, i) => user(i + 1)),
      ...Array.from({ length: 200 }, (_, i) => resident(1000 + i, LIVERPOOL)),
      ...Array.from({ length: 40 }, (_, i) => resident(2000 + i, SEFTON)),
      ...Array.from({ length: 20 }, (_, i) => resident(3000 + i, WIRRAL)),
      ...Array.from({ length: 5 }, (_, i) => resident(4000 + i, KNOWSLEY)),
    ];
    await store.appendMany(people);
    await catchUp({ sql: db.sql, store });
    await runMatching(db.sql);
    await runSegmentation({
      sql: db.sql,
      store,
      ruleset: loadRuleset('bridges-to-health'),
      asOf: AS_OF,
      actor: 'test',
    });
    analytics = await createAnalyticsApp({
      db,
      port: 0,
      jwtSecret,
      modules: [WebModule.forRoot()],
    });
    governance = await createGovernanceApp({
      db,
      port: 0,
      jwtSecret,
      auditHeadFile: path.join(dir, 'head.json'),
    });
    governanceUrl = (await governance.getUrl()).replace('[::1]', '127.0.0.1');
    analytics.app.get<AnalyticsQueries>(ANALYTICS_QUERIES).observe(listener);
    governance.get<AnalyticsQueries>(RELEASE_QUERIES).observe(listener);
  }, 180_000);

  afterAll(async () => {
    await analytics?.close();
    await governance?.close();
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    base: string,
    method: string,
    route: string,
    bearer: string,
    options: { accept?: string; body?: unknown } = {},
  ): Promise<{ status: number; text: string }> {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        accept: options.accept ?? 'application/json',
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body ? JSON.stringify(options.body) : undefined,
    });
    return { status: res.status, text: await res.text() };
  }
  const api = (route: string, bearer: string, accept?: string) =>
    call(analytics.url!, 'GET', route, bearer, { accept });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = async (route: string, bearer: string): Promise<any> => {
    const res = await api(route, bearer);
    expect([route, res.status]).toEqual([route, 200]);
    return JSON.parse(res.text);
  };

  /** The routes an app serves, as `METHOD /path` (Express 5 router under NestJS). */
  function routesOf(app: INestApplication): string[] {
    const express = app.getHttpAdapter().getInstance() as {
      router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
    };
    return express.router.stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods)
            .filter((m) => m !== '_all')
            .map((m) => `${m.toUpperCase()} ${layer.route!.path}`)
        : [],
    );
  }

  /** Every published value of the gate results seen (values and interval bounds). */
  function publishedValues(results: readonly Seen[]): Set<number> {
    const values = new Set<number>();
    for (const { result } of results)
      for (const cell of Object.values(result.cells))
        if (cell.published) {
          values.add(cell.value);
          if (cell.interval) cell.interval.forEach((x) => values.add(x));
        }
    return values;
  }

  /** Numbers in a JSON answer that did not come out of the gate (with where they are). */
  function ungatedNumbers(body: unknown, values: Set<number>): string[] {
    const problems: string[] = [];
    const visit = (v: unknown, key: string, parent: string, where: string): void => {
      if (SKIPPED_KEYS.has(key)) return;
      if (Array.isArray(v)) v.forEach((x, i) => visit(x, key, parent, `${where}[${i}]`));
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        for (const [k, x] of Object.entries(o)) {
          // How many cells were withheld: the length of the list beside it, not a statistic.
          if (k === 'cellsSuppressed' && Array.isArray(o.suppressed) && x === o.suppressed.length)
            continue;
          if (METADATA_KEYS.has(k)) continue;
          visit(x, k, key, `${where}/${k}`);
        }
      } else if (typeof v === 'number') {
        if (SETTING_KEYS.has(key) && !STATISTIC_PARENTS.has(parent)) return;
        traced++;
        if (values.has(v)) return;
        // A change is the difference of two published numbers.
        if (/^change/i.test(key) && [...values].some((a) => values.has(a - v))) return;
        problems.push(`${where}=${v}`);
      }
    };
    visit(body, '', '', '');
    return problems;
  }

  /** Numbers in a CSV answer that did not come out of the gate. */
  function ungatedCsvNumbers(text: string, values: Set<number>): string[] {
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    const problems: string[] = [];
    rows.forEach((row, i) => {
      for (const [column, cell] of Object.entries(row)) {
        if (cell === '' || !Number.isFinite(Number(cell)) || LABEL_COLUMNS.test(column)) continue;
        if (/^(before|after|month|as_of)$/.test(column)) {
          // Outcome rates share the window names: a rate row has a group column.
          if (!('group' in row)) continue;
        }
        const v = Number(cell);
        traced++;
        if (values.has(v)) continue;
        if (/^change/.test(column) && [...values].some((a) => values.has(a - v))) continue;
        problems.push(`row ${i} ${column}=${cell}`);
      }
    });
    return problems;
  }

  it('walks every route: each number of every answer came out of the gate, checked against the ledger', async () => {
    const dsa = 'DSA-WALK';
    const token = await dsaToken(dsa, 'walker');
    const checker = await dsaToken(dsa, 'checker', 'output_checker');
    const ruleset = 'bridges-to-health';
    const gets = [
      '/v1/cohort',
      '/v1/wellbeing',
      '/v1/wellbeing/distributions',
      '/v1/matching/balance',
      ...OUTCOME_MEASURES.map((m) => `/v1/outcomes?measure=${m}`),
      '/v1/outcomes?measure=ae&before=6&after=24&washout=0',
      '/v1/outcomes/event-study?measure=ae',
      ...BREAKDOWN_DIMENSIONS.map((d) => `/v1/breakdowns/${d}?measure=ae`),
      '/v1/breakdowns/site?measure=cost',
      '/v1/areas/lsoa',
      '/v1/segments',
      `/v1/segments?ruleset=${ruleset}`,
      `/v1/segments/${ruleset}.generally-well?measure=crisis`,
      `/v1/segments/${ruleset}.long-term-conditions`,
      ...SEGMENT_AREA_LEVELS.map((l) => `/v1/segments/${ruleset}.generally-well/areas?level=${l}`),
      `/v1/segments/${ruleset}.generally-well/trend`,
      `/v1/segments/${ruleset}.generally-well/trend?level=lsoa`,
    ];
    const walked = new Set<string>();
    const kinds = new Set<string>();
    const problems: unknown[] = [];
    const expectGated = (what: string, found: string[], results: Seen[]) => {
      if (results.length === 0) problems.push([what, 'no gated publication']);
      for (const r of results)
        if (!r.ledgerChecked || r.dsa !== dsa) problems.push([what, 'ledger not checked']);
      if (found.length) problems.push([what, found.slice(0, 5)]);
    };
    for (const route of gets) {
      for (const accept of ['application/json', 'text/csv']) {
        seen.length = 0;
        const res = await api(route, token, accept);
        expect([route, accept, res.status]).toEqual([route, accept, 200]);
        const values = publishedValues(seen);
        for (const r of seen) for (const c of Object.values(r.result.cells)) kinds.add(c.kind);
        const found =
          accept === 'text/csv'
            ? ungatedCsvNumbers(res.text, values)
            : ungatedNumbers(JSON.parse(res.text), values);
        expectGated(`${accept} ${route}`, found, [...seen]);
      }
      walked.add(`GET ${route.split('?')[0]}`);
    }

    // Release review: the requested output passes gate and ledger; the file holds only those numbers.
    seen.length = 0;
    const requested = await call(governanceUrl, 'POST', '/v1/releases', token, {
      body: { output: 'balance', justification: 'matching quality for the board' },
    });
    expect(requested.status).toBe(201);
    const atRequest = [...seen];
    const released = publishedValues(atRequest);
    expectGated('POST /v1/releases', [], atRequest);
    walked.add('POST /v1/releases');
    const id = (JSON.parse(requested.text) as { releaseId: string }).releaseId;
    const reviewed = await call(governanceUrl, 'POST', `/v1/releases/${id}/review`, checker, {
      body: { decision: 'approve', reason: 'SMDs and means at the supported precision' },
    });
    expect(reviewed.status).toBe(201);
    const file = await call(governanceUrl, 'GET', `/v1/releases/${id}/file`, token);
    expect(file.status).toBe(200);
    const fileBody = JSON.parse(file.text) as { release: unknown; body: unknown };
    problems.push(
      ...ungatedNumbers(fileBody.body, released).map((p) => ['release file', p]),
      ...ungatedNumbers(fileBody.release, new Set()).map((p) => ['release metadata', p]),
    );
    const csv = await call(governanceUrl, 'GET', `/v1/releases/${id}/file?format=csv`, token);
    problems.push(...ungatedCsvNumbers(csv.text, released).map((p) => ['release csv', p]));
    walked.add('GET /v1/releases/:id/file');

    expect(problems).toEqual([]);
    expect(traced).toBeGreaterThan(500);
    // Every kind of statistic the routes publish was walked (no route publishes a total, a
    // proportion or a percentile today; the gate's table tests cover those).
    expect([...kinds].sort()).toEqual(['count', 'estimate', 'mean', 'rate', 'smd']);

    // Every route either walked above or named as publishing nothing about people.
    const served = [...routesOf(analytics.app), ...routesOf(governance)];
    const pattern = (route: string) =>
      route.replace(/:id\b/, ':id').replace(/\/[a-z0-9-]+\.[a-z0-9.-]+(?=\/|$)/, '/:id');
    const walkedPatterns = new Set(
      [...walked].map((w) =>
        pattern(w)
          .replace(/\/breakdowns\/[a-z-]+$/, '/breakdowns/:dimension')
          .replace(/\/v1\/segments\/:id/, '/v1/segments/:id'),
      ),
    );
    const unaccounted = [...new Set(served)].filter(
      (route) =>
        !walkedPatterns.has(route) &&
        !(route in PUBLISHES_NOTHING_ABOUT_PEOPLE) &&
        !OPENAPI_ROUTE.test(route),
    );
    expect(unaccounted).toEqual([]);
    // And nothing named above that is not served (the list stays true).
    const stale = Object.keys(PUBLISHES_NOTHING_ABOUT_PEOPLE).filter((r) => !served.includes(r));
    expect(stale).toEqual([]);
  }, 300_000);
  it('attack: the lens of a segment holding all users but three, differenced against /v1/outcomes, is withheld', async () => {
    // "Generally well" holds 57 of the 60 users (three have diabetes): the lens estimate over
    // them and the estimate over all 60 would give the three people's A&E use between them.
    const lens = '/v1/segments/bridges-to-health.generally-well?measure=ae';
    const a = await dsaToken('DSA-LENS-A', 'ana');
    const first = await json(lens, a);
    expect(first.lifeRooms.lifeRoomsUsers).toBe(55);
    expect(first.lifeRooms.outcome).toMatchObject({ measure: 'ae', nUsers: 55 });
    expect(first.lifeRooms.outcome.did).not.toBeNull();
    const second = await json('/v1/outcomes?measure=ae', a);
    expect(second.did).toBeNull();
    expect(second.ci95).toEqual([null, null]);
    expect(second.users).toEqual({ before: null, after: null });
    expect(second.suppressed).toEqual(
      expect.arrayContaining([{ cell: 'did', kind: 'estimate', rule: 'differencing' }]),
    );

    // The other order: all users first, then the lens.
    const b = await dsaToken('DSA-LENS-B', 'bob');
    expect((await json('/v1/outcomes?measure=ae', b)).did).not.toBeNull();
    const after = await json(lens, b);
    expect(after.lifeRooms.outcome.did).toBeNull();
    expect(after.lifeRooms.outcome.users).toEqual({ before: null, after: null });
    expect(after.suppressed).toEqual(
      expect.arrayContaining([{ cell: 'lifeRooms/outcome/did', rule: 'differencing' }]),
    );
    const csv = parse((await api(lens, b, 'text/csv')).text, { columns: true }) as Array<
      Record<string, string>
    >;
    // Withheld cells read `suppressed` in CSV (never blank, never 0).
    expect([csv[0].outcome_did, csv[0].outcome_ci95_low, csv[0].outcome_ci95_high]).toEqual([
      'suppressed',
      'suppressed',
      'suppressed',
    ]);
  }, 120_000);

  it('attack: the LSOA map asked again after two people arrive is withheld where they arrived', async () => {
    const t = await dsaToken('DSA-MAP', 'mia');
    const row = (body: { areas: Array<{ lsoa: string }> }, lsoa: string) =>
      body.areas.find((a) => a.lsoa === lsoa);
    const before = await json('/v1/areas/lsoa', t);
    expect(row(before, LIVERPOOL.lsoa)).toEqual({
      lsoa: LIVERPOOL.lsoa,
      residents: 260,
      users: 60,
      reachPer1000: 231,
    });

    // Two more Life Rooms users in the same LSOA: 62 users of 262 residents.
    await store.appendMany([user(61), user(62)]);
    await catchUp({ sql: db.sql, store });
    const after = await json('/v1/areas/lsoa', t);
    expect(row(after, LIVERPOOL.lsoa)).toEqual({
      lsoa: LIVERPOOL.lsoa,
      residents: null,
      users: null,
      reachPer1000: null,
    });
    expect(after.suppressed).toEqual(
      expect.arrayContaining([
        { cell: `${LIVERPOOL.lsoa}/users`, kind: 'count', rule: 'differencing' },
        { cell: `${LIVERPOOL.lsoa}/residents`, kind: 'count', rule: 'differencing' },
        { cell: 'total/users', kind: 'count', rule: 'differencing' },
      ]),
    );
    expect([after.totalUsers, after.totalResidents]).toEqual([null, null]);
    // Where nobody arrived the answer is the same.
    expect(row(after, SEFTON.lsoa)).toEqual(row(before, SEFTON.lsoa));
    // The ledger withheld it, not the count rules: a DSA given nothing before gets the number.
    const other = await dsaToken('DSA-MAP-OTHER', 'oli');
    expect(row(await json('/v1/areas/lsoa', other), LIVERPOOL.lsoa)).toMatchObject({
      residents: 260,
      users: 60,
    });
  }, 120_000);

  it('trend by area: a second run after new data changes an area; withheld cells stay withheld', async () => {
    // New residents since the first run: 12 in Sefton, 2 in Knowsley (and the two Liverpool
    // users of the test above). Knowsley had 5 (withheld) and has 7 (still withheld).
    await store.appendMany([
      ...Array.from({ length: 12 }, (_, i) => resident(2100 + i, SEFTON)),
      ...Array.from({ length: 2 }, (_, i) => resident(4100 + i, KNOWSLEY)),
    ]);
    await catchUp({ sql: db.sql, store });
    const second = await runSegmentation({
      sql: db.sql,
      store,
      ruleset: loadRuleset('bridges-to-health'),
      asOf: AS_OF,
      actor: 'test',
    });
    expect(second.assigned).toBe(16);
    const id = 'bridges-to-health.generally-well';
    const t = await dsaToken('DSA-TREND', 'tom');
    const trend = await json(`/v1/segments/${id}/trend?level=local-authority`, t);
    // The segment as a whole: 322 then 338 people.
    expect(
      trend.runs.map((r: { size: number; changeSincePreviousRun: number | null }) => [
        r.size,
        r.changeSincePreviousRun,
      ]),
    ).toEqual([
      [320, null],
      [340, 20],
    ]);
    type AreaRun = { members: number | null; changeSincePreviousRun: number | null };
    const area = (name: string): AreaRun[] =>
      trend.areas.find((a: { area: string }) => a.area === name).runs;
    const pairs = (name: string) =>
      area(name).map((r) => [r.members, r.changeSincePreviousRun] as const);
    // Sefton: 40 then 52 people, a change the gate can show.
    expect(pairs('Sefton')).toEqual([
      [40, null],
      [50, 10],
    ]);
    // Knowsley: 5 then 7, withheld both times, and so is its change.
    expect(pairs('Knowsley')).toEqual([
      [null, null],
      [null, null],
    ]);
    // Liverpool: 257 then 259, two people apart: the later is withheld by differencing, so a
    // change of 1 to 7 people is never shown.
    expect(pairs('Liverpool')).toEqual([
      [255, null],
      [null, null],
    ]);
    expect(trend.suppressed).toEqual(
      expect.arrayContaining([
        { cell: 'areas/Knowsley/runs/0/members', rule: 'small_count' },
        { cell: 'areas/Liverpool/runs/1/members', rule: 'differencing' },
      ]),
    );
    // Wirral did not change: the same people at both runs, one decision (withheld with Knowsley
    // at the first run, so withheld at the second too).
    expect(pairs('Wirral')).toEqual([
      [null, null],
      [null, null],
    ]);
    // No run's areas keep exactly one withheld cell beside a published run size.
    for (const i of [0, 1]) {
      const hidden = trend.areas.filter(
        (a: { runs: AreaRun[] }) => a.runs[i].members === null,
      ).length;
      expect([i, hidden === 1]).toEqual([i, false]);
    }

    // Differenced against the sizes and the areas, Knowsley stays withheld everywhere.
    const list = await json('/v1/segments?ruleset=bridges-to-health', t);
    expect(list.segments.find((s: { id: string }) => s.id === id).size).toBe(340);
    const areas = await json(`/v1/segments/${id}/areas?level=local-authority`, t);
    const knowsley = areas.areas.find((a: { area: string }) => a.area === 'Knowsley');
    expect([knowsley.members, knowsley.changeSincePreviousRun]).toEqual([null, null]);
    // The areas route gives the change since the run before too, from the same published sizes.
    const sefton = areas.areas.find((a: { area: string }) => a.area === 'Sefton');
    expect([sefton.members, sefton.changeSincePreviousRun]).toEqual([50, 10]);
    expect(
      areas.areas.filter((a: { members: number | null }) => a.members === null).length,
    ).toBeGreaterThan(1);

    // The same in CSV: one row per area and run, the change beside it.
    const rows = parse((await api(`/v1/segments/${id}/trend`, t, 'text/csv')).text, {
      columns: true,
    }) as Array<Record<string, string>>;
    expect(rows.filter((r) => r.area === 'Sefton').map((r) => r.change_since_previous_run)).toEqual(
      ['', '10'],
    );
    expect(rows.filter((r) => r.area === 'Knowsley').map((r) => r.size)).toEqual([
      'suppressed',
      'suppressed',
    ]);
  }, 180_000);
});
