import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AccessDeniedError, NotFoundError, ValidationError } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { AuditTrail, DsaRegistry, mintToken } from '@linkage/governance';
import { consumerPositionStore, ensureIngestSchema, recordDataLoss } from '@linkage/ingest-store';
import { createFreshDatabase } from '@linkage/testing';
import { registerDataLossCommand } from './data-loss.command';
import { runVerbs } from '../testing/run-verbs';

/** `linkage data-loss list | resolve`, run in-process against a fresh PostgreSQL database. */
describe('linkage data-loss (real PostgreSQL)', () => {
  const saved = { ...process.env };
  const secret = randomBytes(32).toString('hex');
  const topic = 'ingest.canonical-events.v1';
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let dir: string;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_datalosscli');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-datalosscli-'));
    process.env.DATABASE_URL = fresh.url;
    process.env.LINKAGE_JWT_SECRET = secret;
    process.env.LINKAGE_AUDIT_HEAD_FILE = path.join(dir, 'head.json');
    delete process.env.LINKAGE_TOKEN;
    db = await openDatabase({ url: fresh.url });
    await ensureIngestSchema(db.sql);
    // A run waiting for the store when the writer lost three canonical events on partition 2.
    await db.sql`
      insert into ingest.ingest_runs (ingest_run_id, source, origin, status, published)
      values ('run-1', 'cipha', 'http', 'published', 10)`;
    const positions = consumerPositionStore(db.sql);
    await positions.save('event-writer', topic, 2, 5n);
    await positions.save('event-writer', topic, 3, 9n);
    await recordDataLoss(
      db.sql,
      'event-writer',
      {
        topic,
        partition: 2,
        expectedOffset: '5',
        firstOffset: '8',
        reason: 'gap',
        groupId: 'event-writer',
      },
      { failRuns: true },
    );
  });

  afterAll(async () => {
    process.env = saved;
    process.exitCode = undefined;
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    delete process.env.LINKAGE_TOKEN;
  });

  function run(...args: string[]): Promise<string> {
    return runVerbs([registerDataLossCommand], args, { quietCommander: true });
  }

  const audited = async (action: string) =>
    (await new AuditTrail(db.sql, {}).search({ action }, { order: 'asc' })).entries;

  it('lists the open incident with its run accounting, topic, partition, offsets and loss', async () => {
    const out = await run('data-loss', 'list');
    expect(out).toContain(`event-writer  ${topic}[2]  gap  expected 5, resumed at 8  3 lost`);
    expect(out).toContain('runs failed 1  open');
    expect(out).toContain('1 open incident(s)');
    const [json] = (await run('data-loss', 'list', '--json')).trim().split('\n');
    expect(JSON.parse(json)).toMatchObject({
      id: 1,
      consumer: 'event-writer',
      groupId: 'event-writer',
      topic,
      partition: 2,
      expectedOffset: '5',
      firstOffset: '8',
      lost: 3,
      runsFailed: 1,
      resolvedAt: null,
    });
    const [row] = await db.sql<{ status: string; failure: string }[]>`
      select status, failure from ingest.ingest_runs where ingest_run_id = 'run-1'`;
    expect(row).toEqual({ status: 'failed', failure: 'data_loss' });
    const entries = await audited('ingest.data-loss.list');
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries[0]).toMatchObject({ outcome: 'ok', parameters: { all: false }, resultSize: 1 });
  });

  it('refuses a reason that is not one of the codes, an unknown incident and a role without ingest', async () => {
    await expect(
      run('data-loss', 'resolve', '1', '--reason', 'because Jane Doe said so'),
    ).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    await expect(run('data-loss', 'resolve', '1')).rejects.toMatchObject({
      code: 'commander.missingMandatoryOptionValue',
    });
    await expect(
      run('data-loss', 'resolve', '99', '--reason', 'accepted_loss'),
    ).rejects.toBeInstanceOf(NotFoundError);

    await new DsaRegistry(db.sql).add({
      ref: 'DSA-1',
      purposes: ['service-evaluation'],
      roles: ['analyst'],
      validUntil: '2099-12-31',
    });
    process.env.LINKAGE_TOKEN = mintToken(
      {
        user: 'analyst-1',
        role: 'analyst',
        purpose: 'service-evaluation',
        dsa: 'DSA-1',
        ttl: 3600,
      },
      Buffer.from(secret),
    ).token;
    await expect(
      run('data-loss', 'resolve', '1', '--reason', 'accepted_loss'),
    ).rejects.toBeInstanceOf(AccessDeniedError);
    const denied = await audited('ingest.data-loss.resolve');
    expect(denied).toEqual([
      expect.objectContaining({ actor: 'analyst-1', outcome: 'denied', httpStatus: 403 }),
    ]);
    // Still open.
    delete process.env.LINKAGE_TOKEN;
    expect(await run('data-loss', 'list')).toContain('1 open incident(s)');
  });

  it('resolves it with a reason code, audited, forgets the lost partition position, and refuses a second resolution', async () => {
    const out = await run('data-loss', 'resolve', '1', '--reason', 'reingested');
    expect(out).toMatch(/#1 .* resolved .* by .* \(reingested\)/);
    expect(out).toContain('the consumer event-writer consumes again');
    expect(await run('data-loss', 'list')).toContain('0 open incident(s)');
    const all = await run('data-loss', 'list', '--all', '--json');
    expect(JSON.parse(all.trim())).toMatchObject({
      id: 1,
      resolution: 'reingested',
      resolvedBy: os.userInfo().username,
    });
    const resolved = (await audited('ingest.data-loss.resolve')).filter((e) => e.outcome === 'ok');
    expect(resolved).toEqual([
      expect.objectContaining({
        actor: os.userInfo().username,
        parameters: { incident: 1, reason: 'reingested' },
        resultSize: 1,
      }),
    ]);
    // The position of the partition that lost messages is forgotten, not the others.
    const positions = await consumerPositionStore(db.sql).load('event-writer', topic);
    expect([...positions]).toEqual([[3, 9n]]);

    await expect(run('data-loss', 'resolve', '1', '--reason', 'reingested')).rejects.toMatchObject({
      constructor: ValidationError,
      detail: { field: '/id', reason: 'already_resolved' },
    });
  });
});
