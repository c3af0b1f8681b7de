import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AccessDeniedError, ValidationError } from '@linkage/common';
import { openDatabase, Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { AuditTrail, mintToken, verifyToken } from '@linkage/governance';
import { registerAuditCommand } from './audit.command';
import { registerDsaCommand } from './dsa.command';
import { registerTokenCommand } from './token.command';
import { resolveCliActor } from './cli-context';
import { runVerbs } from '../testing/run-verbs';

/** The governance verbs of `linkage`, run in-process against a fresh database. */
describe('linkage token | dsa | audit (real PostgreSQL)', () => {
  const saved = { ...process.env };
  const secret = randomBytes(32).toString('hex');
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let dir: string;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_govcli');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-govcli-'));
    process.env.DATABASE_URL = fresh.url;
    process.env.LINKAGE_JWT_SECRET = secret;
    process.env.LINKAGE_AUDIT_HEAD_FILE = path.join(dir, 'head.json');
    delete process.env.LINKAGE_TOKEN;
    db = await openDatabase({ url: fresh.url });
  });

  afterAll(async () => {
    process.env = saved;
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    process.exitCode = undefined;
    delete process.env.LINKAGE_TOKEN;
  });
  afterAll(() => {
    process.exitCode = undefined;
  });

  function run(...args: string[]): Promise<string> {
    return runVerbs([registerTokenCommand, registerDsaCommand, registerAuditCommand], args);
  }

  const tokenFor = (role: string, purpose = 'service-evaluation', dsa = 'DSA-1') =>
    run(
      'token',
      '--role',
      role,
      '--user',
      `${role}-1`,
      '--purpose',
      purpose,
      '--dsa',
      dsa,
      '--ttl',
      '1h',
    ).then((s) => s.trim());

  const trail = () => new AuditTrail(db.sql, {});

  it('acts as the local operator without a token', async () => {
    const actor = await resolveCliActor({ purpose: 'set-up' });
    expect(actor).toEqual({
      user: os.userInfo().username,
      role: 'admin',
      purpose: 'set-up',
      dsa: 'local-operator',
      via: 'local-operator',
    });
    expect((await resolveCliActor()).purpose).toBe('operations');
  });

  it('registers DSAs and mints tokens only for what a DSA allows, auditing both', async () => {
    expect(
      await run(
        'dsa',
        'add',
        'DSA-1',
        '--purpose',
        'service-evaluation',
        '--roles',
        'analyst,governance-officer',
      ),
    ).toMatch(/^added DSA-1/);
    await run(
      'dsa',
      'add',
      'DSA-2',
      '--purpose',
      'planning',
      '--roles',
      'analyst',
      '--until',
      '2099-12-31',
    );
    const listed = JSON.parse(await run('dsa', 'list', '--json'));
    expect(listed.map((d: { ref: string; status: string }) => [d.ref, d.status])).toEqual([
      ['DSA-1', 'in-force'],
      ['DSA-2', 'in-force'],
    ]);

    const token = await tokenFor('governance-officer');
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(verifyToken(token, Buffer.from(secret))).toMatchObject({
      role: 'governance-officer',
      dsa: 'DSA-1',
      iss: 'linkage',
    });
    await expect(tokenFor('admin')).rejects.toMatchObject({
      detail: { reason: 'dsa_role_not_allowed' },
    });
    await expect(tokenFor('analyst', 'marketing')).rejects.toBeInstanceOf(ValidationError);
    await expect(tokenFor('analyst', 'service-evaluation', 'DSA-9')).rejects.toMatchObject({
      detail: { reason: 'dsa_not_registered' },
    });

    const actions = (await trail().search({}, { order: 'asc' })).entries.map((e) => e.action);
    expect(actions).toEqual(['dsa.added', 'dsa.added', 'dsa.listed', 'token.minted']);
  });

  it('acts under LINKAGE_TOKEN through the same gate as the API', async () => {
    const analyst = await tokenFor('analyst');
    const officer = await tokenFor('governance-officer');
    process.env.LINKAGE_TOKEN = analyst;
    await expect(run('audit', 'search')).rejects.toMatchObject({
      code: 'forbidden',
      detail: { reason: 'role_lacks_permission' },
    });
    process.env.LINKAGE_TOKEN = officer;
    const page = JSON.parse(await run('audit', 'search', '--outcome', 'denied', '--json'));
    expect(page.entries[0]).toMatchObject({
      actor: 'analyst-1',
      action: 'audit.search',
      outcome: 'denied',
      reason: 'role_lacks_permission',
    });
    expect(JSON.parse(await run('audit', 'verify', '--json'))).toMatchObject({ intact: true });
    expect(process.exitCode ?? 0).toBe(0);

    const expired = mintToken(
      { user: 'x', role: 'admin', purpose: 'ops', dsa: 'DSA-1', ttl: 1 },
      Buffer.from(secret),
      new Date(Date.now() - 60_000),
    );
    await expect(run('audit', 'verify', '--token', expired.token)).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    const [refusal] = (await trail().search({ action: 'cli.authenticate' })).entries;
    expect(refusal).toMatchObject({
      actor: 'anonymous',
      outcome: 'denied',
      httpStatus: 401,
      reason: 'token_expired',
    });
  });

  it('refuses tokens of a revoked DSA', async () => {
    const token = await tokenFor('governance-officer');
    expect(await run('dsa', 'revoke', 'DSA-1')).toMatch(/^revoked DSA-1/);
    await expect(run('audit', 'search', '--token', token)).rejects.toMatchObject({
      detail: { reason: 'dsa_revoked' },
    });
  });

  it('exports CSV and reports a broken chain with a non-zero exit code', async () => {
    const out = path.join(dir, 'audit.csv');
    expect(await run('audit', 'export', '--out', out)).toMatch(/^exported \d+ entries/);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'sequence,at,actor,role,purpose,dsa,action,parameters,result_size,cells_suppressed,outcome,http_status,reason,request_id,prev_hash,hash',
    );
    expect(lines.length).toBeGreaterThan(5);

    await db.sql.begin(async (tx) => {
      await tx.unsafe('alter table governance.audit_trail disable trigger all');
      await tx`update governance.audit_trail set actor = 'someone-else' where sequence = 3`;
      await tx.unsafe('alter table governance.audit_trail enable trigger all');
    });
    const result = JSON.parse(await run('audit', 'verify', '--json'));
    expect(result).toMatchObject({
      intact: false,
      firstBroken: { sequence: 3, reason: 'hash_mismatch' },
    });
    expect(process.exitCode).toBe(1);
  });
});
