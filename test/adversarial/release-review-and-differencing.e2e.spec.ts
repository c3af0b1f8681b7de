/**
 * The adversarial suite, part 2, and the release review end to end: real PostgreSQL, the real
 * event store, projector and matching, the analytics and governance APIs over HTTP and the real
 * `linkage` command. A small hand-made population (everyone alike, so that matching always finds
 * controls and one added person changes the matched users by exactly one).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { openDatabase, type Database } from '@linkage/database';
import { PostgresqlEventStore } from '@linkage/event-store';
import { DsaRegistry, mintToken, type Role } from '@linkage/governance';
import {
  createFreshDatabase,
  lifeRoomsUserStream,
  residentStream,
  runLinkage,
  type CliResult,
} from '@linkage/testing';
import { catchUp, runMatching } from '../../apps/projector/src';
import { createAnalyticsApp, type AnalyticsApp } from '../../apps/analytics-api/src';
import { createGovernanceApp } from '../../apps/governance-api/src';

const DSA = 'DSA-RELEASE-TEST';
const PURPOSE = 'evaluation';

const user = (n: number) => lifeRoomsUserStream(n);
const nonUser = (n: number) => residentStream(n);

describe('release review and differencing (end to end)', () => {
  const secretText = randomBytes(32).toString('hex');
  const jwtSecret = Buffer.from(secretText, 'utf8');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-release-e2e-'));
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;
  let analytics: AnalyticsApp;
  let governance: INestApplication;
  let governanceUrl: string;
  const token = (user: string, role: Role) =>
    mintToken({ user, role, purpose: PURPOSE, dsa: DSA }, jwtSecret).token;
  let ana: string;
  let ben: string;
  let olu: string;
  let anaAsChecker: string;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_release');
    db = await openDatabase({ url: fresh.url, max: 10 });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
    const batches = [
      ...Array.from({ length: 60 }, (_, i) => user(i + 1)),
      ...Array.from({ length: 300 }, (_, i) => nonUser(1000 + i)),
    ];
    await store.appendMany(batches);
    await catchUp({ sql: db.sql, store });
    await runMatching(db.sql);
    analytics = await createAnalyticsApp({ db, port: 0, jwtSecret });
    governance = await createGovernanceApp({
      db,
      port: 0,
      jwtSecret,
      auditHeadFile: path.join(dir, 'head.json'),
    });
    governanceUrl = (await governance.getUrl()).replace('[::1]', '127.0.0.1');
    await new DsaRegistry(db.sql).add({
      ref: DSA,
      purposes: [PURPOSE],
      roles: ['analyst', 'output_checker', 'governance-officer'],
    });
    ana = token('ana', 'analyst');
    ben = token('ben', 'analyst');
    olu = token('olu', 'output_checker');
    anaAsChecker = token('ana', 'output_checker');
  }, 120_000);

  afterAll(async () => {
    await analytics?.close();
    await governance?.close();
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = async (base: string, method: string, p: string, bearer: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: res.status, body: json, headers: res.headers };
  };
  const gov = (method: string, p: string, bearer: string, body?: unknown) =>
    call(governanceUrl, method, p, bearer, body);
  const api = (p: string, bearer = ana) => call(analytics.url!, 'GET', p, bearer);

  function linkage(args: string[]): Promise<CliResult> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) {
      if (/^(KAFKA_|LINKAGE_|PSEUDONYMISATION_|EVENTSTORE_)/.test(name)) delete env[name];
    }
    Object.assign(env, {
      DATABASE_URL: fresh.url,
      LINKAGE_JWT_SECRET: secretText,
      PSEUDONYMISATION_KEY: randomBytes(32).toString('hex'),
      LINKAGE_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'warn',
    });
    return runLinkage(args, { cwd: dir, env });
  }

  async function auditRows() {
    return db.sql<
      { actor: string; role: string; action: string; outcome: string; reason: string | null }[]
    >`
      select actor, role, action, outcome, reason from governance.audit_trail order by sequence`;
  }

  it('API: request, two-person review with the gate report, download only when approved; all audited', async () => {
    const requested = await gov('POST', '/v1/releases', ana, {
      output: 'wellbeing',
      justification: 'wellbeing change for the trust board',
    });
    expect(requested.status).toBe(201);
    const release = requested.body as {
      releaseId: string;
      status: string;
      gateReport: { policyVersion: string; suppressed: unknown[] };
    };
    expect(release).toMatchObject({ status: 'requested', requestedBy: 'ana', dsa: DSA });
    expect(release.gateReport.policyVersion).toMatch(/^publishing-policy\//);
    const id = release.releaseId;

    // Nothing downloads before approval.
    expect((await gov('GET', `/v1/releases/${id}/file`, ana)).body).toMatchObject({
      reason: 'release_not_approved',
    });
    // The two-person rule: the requester cannot approve, even holding the checker role.
    const self = await gov('POST', `/v1/releases/${id}/review`, anaAsChecker, {
      decision: 'approve',
      reason: 'looks fine',
    });
    expect([self.status, self.body.reason]).toEqual([403, 'reviewer_is_requester']);
    // Another analyst is not an output checker.
    expect(
      (await gov('POST', `/v1/releases/${id}/review`, ben, { decision: 'approve', reason: 'x' }))
        .status,
    ).toBe(403);
    // A checker needs a reason.
    const noReason = await gov('POST', `/v1/releases/${id}/review`, olu, { decision: 'approve' });
    expect([noReason.status, noReason.body.reason]).toEqual([400, 'reason_required']);

    // The checker sees the request with the gate's report, and approves.
    const listed = await gov('GET', '/v1/releases?status=requested', olu);
    expect(
      (listed.body.releases as Array<{ releaseId: string }>).map((r) => r.releaseId),
    ).toContain(id);
    const approved = await gov('POST', `/v1/releases/${id}/review`, olu, {
      decision: 'approve',
      reason: 'no cell below threshold; means to the supported precision',
    });
    expect(approved.status).toBe(201);
    expect(approved.body).toMatchObject({ status: 'approved', reviewedBy: 'olu' });
    const again = await gov('POST', `/v1/releases/${id}/review`, olu, {
      decision: 'reject',
      reason: 'x',
    });
    expect(again.status).toBe(409);

    const file = await gov('GET', `/v1/releases/${id}/file`, ana);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain(`release-${id}.json`);
    expect(file.body).toMatchObject({
      release: { releaseId: id, status: 'approved', reviewedBy: 'olu' },
      body: {
        instrument: 'swemwbs',
        suppressed: expect.any(Array),
        provenance: {
          publishingPolicy: { version: expect.stringMatching(/^publishing-policy\//) },
        },
      },
    });
    expect(JSON.stringify(file.body)).not.toMatch(/\b[0-9a-f]{32}\b/);
    const csv = await fetch(`${governanceUrl}/v1/releases/${id}/file?format=csv`, {
      headers: { authorization: `Bearer ${ana}` },
    });
    expect(await csv.text()).toMatch(/^measure,value\n/);

    const rows = await auditRows();
    const actions = rows.map((r) => `${r.actor}:${r.action}:${r.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'ana:release.request:ok',
        'ana:release.approve:denied',
        'olu:release.approve:ok',
        'ana:release.download:ok',
      ]),
    );
    expect(rows.find((r) => r.actor === 'ana' && r.action === 'release.approve')?.reason).toBe(
      'reviewer_is_requester',
    );
    const ledger = await db.sql<{ via: string }[]>`
      select event->'data'->>'via' as via from governance.release_ledger where dsa = ${DSA}`;
    expect(ledger.map((r) => r.via)).toContain('release-file');
  });

  it('CLI: the same review from the command line, two-person rule enforced', async () => {
    const requested = await linkage([
      'release',
      'request',
      'outcomes',
      '--measure',
      'ae',
      '--justification',
      'A&E after the index date',
      '--token',
      ana,
      '--json',
    ]);
    expect([requested.code, requested.code === 0 ? '' : requested.stderr.slice(-1500)]).toEqual([
      0,
      '',
    ]);
    const { releaseId } = JSON.parse(requested.stdout.trim()) as { releaseId: string };

    const self = await linkage([
      'release',
      'review',
      releaseId,
      '--approve',
      '--reason',
      'ok',
      '--token',
      anaAsChecker,
    ]);
    expect(self.code).not.toBe(0);
    expect(self.stderr).toContain('reviewer_is_requester');
    const early = await linkage([
      'release',
      'download',
      releaseId,
      '--out',
      path.join(dir, 'early.json'),
      '--token',
      ana,
    ]);
    expect(early.code).not.toBe(0);
    expect(fs.existsSync(path.join(dir, 'early.json'))).toBe(false);

    const shown = await linkage(['release', 'show', releaseId, '--token', olu]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('gate          policy publishing-policy/');
    const review = await linkage([
      'release',
      'review',
      releaseId,
      '--reject',
      '--reason',
      'rates over too few events',
      '--token',
      olu,
    ]);
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('rejected');
    const rejected = await linkage([
      'release',
      'download',
      releaseId,
      '--out',
      path.join(dir, 'r.json'),
      '--token',
      ana,
    ]);
    expect(rejected.code).not.toBe(0);

    const second = await linkage([
      'release',
      'request',
      'balance',
      '--justification',
      'matching quality',
      '--token',
      ana,
      '--json',
    ]);
    const id2 = (JSON.parse(second.stdout.trim()) as { releaseId: string }).releaseId;
    expect(
      (
        await linkage([
          'release',
          'review',
          id2,
          '--approve',
          '--reason',
          'SMDs only',
          '--token',
          olu,
        ])
      ).code,
    ).toBe(0);
    const out = path.join(dir, 'balance-release.json');
    expect((await linkage(['release', 'download', id2, '--out', out, '--token', ana])).code).toBe(
      0,
    );
    const released = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      body: { covariates: unknown[] };
    };
    expect(released.body.covariates.length).toBeGreaterThan(0);

    const rows = await auditRows();
    expect(rows.map((r) => `${r.actor}:${r.action}:${r.outcome}`)).toEqual(
      expect.arrayContaining([
        'ana:release.approve:denied',
        'olu:release.reject:ok',
        'ana:release.download:ok',
      ]),
    );
  }, 120_000);

  it('attack: two matching runs that differ by one person, and a released file against a later query', async () => {
    // Ana has the outcomes over the matched users (released above) and the wellbeing file.
    const before = await api('/v1/outcomes?measure=ae');
    expect([before.body.did, before.body.suppressed]).not.toEqual([null, expect.anything()]);
    // One more person: a Life Rooms user alike the others. A new matching run and projection.
    await store.appendMany([user(61)]);
    await catchUp({ sql: db.sql, store });
    await runMatching(db.sql);

    const after = await api('/v1/outcomes?measure=ae');
    expect(after.body.did).toBeNull();
    expect(after.body.users).toEqual({ before: null, after: null });
    expect(after.body.suppressed).toEqual(
      expect.arrayContaining([{ cell: 'did', kind: 'estimate', rule: 'differencing' }]),
    );
    const wellbeing = await api('/v1/wellbeing');
    expect(wellbeing.body).toMatchObject({ meanChange: null, meanFollowUp: null });
    expect(wellbeing.body.suppressed).toEqual(
      expect.arrayContaining([{ cell: 'meanChange', kind: 'mean', rule: 'differencing' }]),
    );
    // Another DSA's ledger holds neither: its analyst gets the answer (the gap admitted in code).
    await new DsaRegistry(db.sql).add({
      ref: 'DSA-OTHER',
      purposes: [PURPOSE],
      roles: ['analyst'],
    });
    const other = mintToken(
      { user: 'eve', role: 'analyst', purpose: PURPOSE, dsa: 'DSA-OTHER' },
      jwtSecret,
    ).token;
    expect((await api('/v1/outcomes?measure=ae', other)).body.did).not.toBeNull();
    // Releasing the withheld answer goes through the same gate: a request carries the report.
    const request = await gov('POST', '/v1/releases', ana, {
      output: 'outcomes',
      parameters: { measure: 'ae' },
      justification: 'after the rerun',
    });
    expect(
      (request.body.gateReport as { suppressed: Array<{ rule: string }> }).suppressed.map(
        (s) => s.rule,
      ),
    ).toContain('differencing');
  });

  it('refuses windows off the grid', async () => {
    const res = await api('/v1/outcomes?measure=ae&after=13');
    expect([res.status, res.body.reason]).toEqual([400, 'window_not_on_grid']);
  });
});
