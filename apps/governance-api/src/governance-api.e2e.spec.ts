import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { openDatabase, Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import {
  AuditTrail,
  DsaRegistry,
  ensureGovernanceSchema,
  mintToken,
  MintTokenRequest,
} from '@linkage/governance';
import { createGovernanceApp } from './create-governance-app';

const secret = randomBytes(32);
const officer: MintTokenRequest = {
  user: 'officer-1',
  role: 'governance-officer',
  purpose: 'audit-oversight',
  dsa: 'DSA-GOV',
};

describe('governance API over HTTP (real PostgreSQL)', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let app: INestApplication;
  let base: string;
  let dir: string;
  let audit: AuditTrail;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_govapi');
    db = await openDatabase({ url: fresh.url, max: 20 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-govapi-'));
    await ensureGovernanceSchema(db.sql);
    const registry = new DsaRegistry(db.sql);
    const roles = ['governance-officer', 'analyst'];
    await registry.add({ ref: 'DSA-GOV', purposes: ['audit-oversight'], roles });
    await registry.add({ ref: 'DSA-REVOKED', purposes: ['audit-oversight'], roles });
    await registry.revoke('DSA-REVOKED');
    await registry.add({
      ref: 'DSA-OLD',
      purposes: ['audit-oversight'],
      roles,
      validUntil: '2020-12-31',
    });
    const headFile = path.join(dir, 'head.json');
    app = await createGovernanceApp({
      db,
      port: 0,
      jwtSecret: secret,
      auditHeadFile: headFile,
      signHeadEvery: 10,
    });
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    audit = new AuditTrail(db.sql, { headFile, headSecret: secret });
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const token = (over: Partial<MintTokenRequest> = {}, key = secret, now = new Date()) =>
    mintToken({ ...officer, ...over }, key, now).token;

  async function call(pathAndQuery: string, bearer?: string, requestId?: string) {
    const headers: Record<string, string> = {};
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    if (requestId) headers['x-request-id'] = requestId;
    const res = await fetch(`${base}${pathAndQuery}`, { headers });
    const text = await res.text();
    const body = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    return { status: res.status, body, headers: res.headers };
  }

  it('serves the trail to a governance officer and audits the call', async () => {
    const res = await call('/v1/audit?pageSize=5', token(), 'req-ok-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-ok-1');
    const [entry] = (await audit.search({ requestId: 'req-ok-1' })).entries;
    expect(entry).toMatchObject({
      actor: 'officer-1',
      role: 'governance-officer',
      purpose: 'audit-oversight',
      dsa: 'DSA-GOV',
      action: 'audit.search',
      outcome: 'ok',
      httpStatus: 200,
      parameters: { pageSize: '5' },
    });
  });

  const expiredToken = () => token({ ttl: '60' }, secret, new Date(Date.now() - 3600_000));
  const tampered = () => {
    const [h, p, s] = token({ role: 'analyst' }).split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.role = 'governance-officer';
    return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  };

  it.each<[string, () => string | undefined, number, string]>([
    ['no token', () => undefined, 401, 'token_missing'],
    ['an expired token', expiredToken, 401, 'token_expired'],
    ['a tampered token', tampered, 401, 'token_invalid'],
    ['a token signed with another secret', () => token({}, randomBytes(32)), 401, 'token_invalid'],
    ['a role without read:audit', () => token({ role: 'analyst' }), 403, 'role_lacks_permission'],
    [
      'a purpose the DSA does not allow',
      () => token({ purpose: 'marketing' }),
      403,
      'dsa_purpose_not_allowed',
    ],
    ['a revoked DSA', () => token({ dsa: 'DSA-REVOKED' }), 403, 'dsa_revoked'],
    ['an expired DSA', () => token({ dsa: 'DSA-OLD' }), 403, 'dsa_expired'],
    ['an unregistered DSA', () => token({ dsa: 'DSA-NONE' }), 403, 'dsa_not_registered'],
  ])('refuses %s and audits the refusal', async (name, make, status, reason) => {
    const requestId = `req-${name.replace(/\W+/g, '-')}`;
    const res = await call('/v1/audit/verify', make(), requestId);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: status === 401 ? 'unauthenticated' : 'forbidden', reason });
    const { entries } = await audit.search({ requestId });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      outcome: 'denied',
      httpStatus: status,
      reason,
      action: 'audit.verify',
    });
    if (status === 401)
      expect(entries[0]).toMatchObject({ actor: 'anonymous', role: null, dsa: null });
  });

  it('leaves exactly N entries and an intact chain after N concurrent calls', async () => {
    const before = (await audit.search({}, { pageSize: 1 })).total;
    const bearer = token();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(`/v1/audit?action=x.${i}`, i % 5 === 0 ? 'bad' : bearer),
      ),
    );
    expect(results.filter((r) => r.status !== 200 && r.status !== 401).map((r) => r.body)).toEqual(
      [],
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(40);
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect((await audit.search({}, { pageSize: 1 })).total).toBe(before + 50);
    const verified = await call('/v1/audit/verify', bearer);
    expect(verified.body).toMatchObject({ intact: true, entries: before + 50 });
  });

  it('strips identifiers from audited parameters', async () => {
    const res = await call(
      '/v1/audit?nhs_number=9990001234&actor=999%20000%201234',
      token(),
      'req-ids',
    );
    expect(res.status).toBe(200);
    const [entry] = (await audit.search({ requestId: 'req-ids' })).entries;
    expect(JSON.stringify(entry)).not.toMatch(/999\s?000\s?1234/);
    // Only declared parameters are recorded (never an undeclared one's name), values checked.
    expect(entry.parameters).toEqual({
      actor: '[redacted]',
      $redacted: ['/actor'],
      $undeclared: 1,
    });
  });

  it('exports CSV and reports accesses per user and purpose for the month', async () => {
    const csv = await call('/v1/audit/export?outcome=denied', token());
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (csv.body as string).trim().split('\n');
    expect(lines[0]).toMatch(/^sequence,at,actor,role,purpose,dsa,action,parameters/);
    expect(lines.slice(1).every((l) => l.includes(',denied,'))).toBe(true);
    const month = new Date().toISOString().slice(0, 7);
    const report = await call(`/v1/audit/reports/monthly?month=${month}`, token());
    expect(report.status).toBe(200);
    expect(report.body.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'officer-1', purpose: 'audit-oversight' }),
      ]),
    );
    // The same report as CSV, from the API (the page downloads this), audited like the JSON.
    const reportCsv = await fetch(`${base}/v1/audit/reports/monthly?month=${month}`, {
      headers: { authorization: `Bearer ${token()}`, accept: 'text/csv', 'x-request-id': 'req-m' },
    });
    expect(reportCsv.status).toBe(200);
    expect(reportCsv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(reportCsv.headers.get('content-disposition')).toBe(
      `attachment; filename="access-report-${month}.csv"`,
    );
    const csvLines = (await reportCsv.text()).trim().split('\n');
    expect(csvLines[0]).toBe('month,actor,purpose,accesses,denied');
    // Same rows as the JSON; the officer's count has grown by the calls made since.
    const officerJson = (report.body.rows as Array<{ actor: string; accesses: number }>).find(
      (r) => r.actor === 'officer-1',
    )!;
    const officerCsv = csvLines.find((l) => l.startsWith(`${month},officer-1,audit-oversight,`));
    expect(officerCsv).toBeDefined();
    expect(Number(officerCsv!.split(',')[3])).toBeGreaterThan(officerJson.accesses);
    const [csvEntry] = (await audit.search({ requestId: 'req-m' })).entries;
    expect(csvEntry).toMatchObject({ action: 'audit.report.monthly', outcome: 'ok' });
    const badCsv = await fetch(`${base}/v1/audit/reports/monthly?month=2024-13`, {
      headers: { authorization: `Bearer ${token()}`, accept: 'text/csv' },
    });
    expect(badCsv.status).toBe(400);
    const bad = await call('/v1/audit/reports/monthly?month=2024-13', token());
    expect(bad).toMatchObject({
      status: 400,
      body: { error: 'validation_failed', reason: 'month_invalid' },
    });
  });

  it('finds a changed entry through the API', async () => {
    const [{ sequence }] = (
      await audit.search({ outcome: 'denied' }, { order: 'asc', pageSize: 1 })
    ).entries;
    await db.sql.begin(async (tx) => {
      await tx.unsafe('alter table governance.audit_trail disable trigger all');
      await tx`update governance.audit_trail set reason = 'nothing' where sequence = ${sequence}`;
      await tx.unsafe('alter table governance.audit_trail enable trigger all');
    });
    const res = await call('/v1/audit/verify', token());
    expect(res.body).toMatchObject({
      intact: false,
      firstBroken: { sequence, reason: 'hash_mismatch' },
    });
  });

  it('serves health and metrics without a token and without auditing them', async () => {
    const before = (await audit.search({}, { pageSize: 1 })).total;
    expect((await call('/health')).body).toEqual({ status: 'ok' });
    const metrics = await call('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/linkage_audit_entries_total/);
    expect((await audit.search({}, { pageSize: 1 })).total).toBe(before);
  });
});
