import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createFreshDatabase, runLinkage, type CliResult } from '@linkage/testing';
import {
  findIdentifiers,
  identifierNeedles,
  mixedExtract,
} from '../../apps/ingest/src/testing/ingest-fixtures';

/**
 * The real `linkage` command (`node bin/linkage.js`, dist built by jest's globalSetup) against a
 * fresh PostgreSQL database, with the in-process transport (no KAFKA_BROKERS) and its own data
 * folder. Every command's stdout and stderr is kept and scanned for identifiers at the end.
 */

const VERBS = [
  'demo',
  'ingest',
  'dead-letters',
  'linkage-report',
  'serve',
  'generate',
  'token',
  'dsa',
  'audit',
  'project',
  'outcomes',
  'bench',
  'release',
  'segment',
];

describe('linkage CLI (end to end)', () => {
  const extract = mixedExtract(10, { seed: 5 });
  const badTotal = Object.values(extract.bad).reduce((a, b) => a + b, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-cli-e2e-'));
  const cipha = path.join(dir, 'cipha.ndjson');
  const liferooms = path.join(dir, 'liferooms.ndjson');
  fs.writeFileSync(cipha, extract.lines.join('\n') + '\n');
  fs.writeFileSync(liferooms, extract.liferoomsLines.join('\n') + '\n');
  const outputs: string[] = [];
  let fresh: { url: string; drop(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  // Commands that touch nothing the others read run alongside them (spawns are the slow part).
  let help: Promise<CliResult>;
  let noKey: Promise<CliResult>;

  /** Runs `linkage ...args`; `without` names variables to leave out of the environment. */
  function linkage(args: string[], options: { without?: string[] } = {}): Promise<CliResult> {
    const childEnv = { ...env };
    for (const name of options.without ?? []) delete childEnv[name];
    return runLinkage(args, { cwd: dir, env: childEnv }).then((result) => {
      outputs.push(result.stdout, result.stderr);
      return result;
    });
  }

  const lastJson = (stdout: string) =>
    JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;

  async function auditRows() {
    const sql = postgres(fresh.url, { max: 1, onnotice: () => undefined });
    try {
      return await sql<{ actor: string; role: string; action: string; outcome: string }[]>`
        select actor, role, action, outcome, reason from governance.audit_trail order by sequence`;
    } finally {
      await sql.end();
    }
  }

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_cli_e2e');
    env = { ...process.env };
    for (const name of Object.keys(env)) {
      if (/^(KAFKA_|LINKAGE_|PSEUDONYMISATION_|EVENTSTORE_)/.test(name)) delete env[name];
    }
    Object.assign(env, {
      DATABASE_URL: fresh.url,
      PSEUDONYMISATION_KEY: randomBytes(32).toString('hex'),
      LINKAGE_JWT_SECRET: randomBytes(32).toString('hex'),
      LINKAGE_DATA_DIR: path.join(dir, 'data'),
      LINKAGE_PROGRESS: 'lines',
      LOG_LEVEL: 'debug',
    });
    help = linkage(['--help']);
    noKey = linkage(['ingest', '--source', 'cipha', cipha, '--json'], {
      without: ['PSEUDONYMISATION_KEY'],
    });
  });

  afterAll(async () => {
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists every verb with a description in --help', async () => {
    const { code, stdout } = await help;
    expect(code).toBe(0);
    const commands = stdout.slice(stdout.indexOf('Commands:'));
    const described = new Map<string, string>();
    for (const m of commands.matchAll(/^ {2}([a-z][a-z-]*)\b[^\n]*? {2,}(\S[^\n]*)$/gm)) {
      described.set(m[1], m[2]);
    }
    const listed = [...commands.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    for (const verb of listed.filter((v) => v !== 'help')) {
      expect([verb, described.has(verb)]).toEqual([verb, true]);
    }
    for (const verb of VERBS) {
      expect([verb, (described.get(verb) ?? '').length > 10]).toEqual([verb, true]);
    }
  });

  it('refuses to ingest without a pseudonymisation key, naming PSEUDONYMISATION_KEY', async () => {
    const { code, stdout, stderr } = await noKey;
    expect(code).not.toBe(0);
    expect(stderr).toContain('PSEUDONYMISATION_KEY');
    expect(stdout).toBe('');
  });

  it('ingests a file and prints the summary as the last line of stdout', async () => {
    const run = await linkage(['ingest', '--source', 'cipha', cipha, '--json']);
    expect(run.stderr.length).toBeGreaterThan(0); // logs and progress go to stderr
    expect(run.code).toBe(0);
    expect(lastJson(run.stdout)).toMatchObject({
      source: 'cipha',
      records: extract.lines.length,
      accepted: extract.valid,
      duplicates: extract.resent,
      rejected: badTotal,
      rejectedByReason: extract.bad,
    });
    const lr = await linkage(['ingest', '--source', 'liferooms', liferooms, '--json']);
    expect(lr.code).toBe(0);
    expect(lastJson(lr.stdout)).toMatchObject({
      accepted: extract.liferoomsLines.length,
      duplicates: 0,
      rejected: 0,
      rejectedByReason: {},
    });
  });

  it('stores nothing the second time the same file is ingested', async () => {
    const again = await linkage(['ingest', '--source', 'cipha', cipha, '--json']);
    expect(again.code).toBe(0);
    expect(lastJson(again.stdout)).toMatchObject({
      accepted: 0,
      duplicates: extract.valid + extract.resent,
      rejected: badTotal,
    });
  });

  it('lists the dead letters: source, record id, line, field and reason, never a value', async () => {
    const { code, stdout } = await linkage(['dead-letters', '--json']);
    expect(code).toBe(0);
    const letters = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Dead letters are idempotent: the second ingest of the same file adds none.
    expect(letters).toHaveLength(badTotal);
    for (const l of letters) {
      expect(Object.keys(l).sort()).toEqual(
        [
          'at',
          'field',
          'ingestRunId',
          'line',
          'reason',
          'recordId',
          'source',
          'topic',
          'partition',
          'offset',
        ].sort(),
      );
      expect(l.source).toBe('cipha');
      expect(typeof l.line).toBe('number');
      // From a file, not from Kafka: no topic, partition or offset to trace.
      expect(l.topic).toBeNull();
    }
    // The bad records follow the valid ones and the resend comes last.
    const firstRun = letters.filter((l) => l.ingestRunId === letters.at(-1)?.ingestRunId);
    expect(
      firstRun
        .map((l) => ({ recordId: l.recordId, line: l.line, field: l.field, reason: l.reason }))
        .sort((a, b) => Number(a.line) - Number(b.line)),
    ).toEqual([
      { recordId: 'bad-nhs-5', line: 21, field: '/nhs_number', reason: 'invalid_nhs_number' },
      { recordId: 'bad-future-5', line: 22, field: '/occurred_at', reason: 'date_in_future' },
      { recordId: 'bad-type-5', line: 23, field: '/record_type', reason: 'unknown_record_type' },
      { recordId: null, line: 24, field: '', reason: 'not_json' },
      { recordId: 'bad-missing-5', line: 25, field: '/occurred_at', reason: 'required' },
    ]);
  });

  it('prints the linkage report as JSON', async () => {
    const { code, stdout } = await linkage(['linkage-report', '--json']);
    expect(code).toBe(0);
    const report = lastJson(stdout) as {
      rows: { source: string; recordType: string; records: number }[];
    };
    const row = (source: string, recordType: string) =>
      report.rows.find((r) => r.source === source && r.recordType === recordType);
    expect(row('cipha', 'registration')).toMatchObject({ records: 10, linkedByNhsNumber: 10 });
    expect(row('liferooms', 'visit')).toMatchObject({
      records: 20,
      linkedByNhsNumber: 10,
      linkedByFuzzyMatch: 10,
      unlinked: 0,
    });
  });

  it('authorises the ingest verbs like the API: tokens, roles and DSAs, all audited', async () => {
    expect(
      (
        await linkage([
          'dsa',
          'add',
          'DSA-CLI',
          '--purpose',
          'data-feed',
          '--roles',
          'ingest,analyst',
        ])
      ).code,
    ).toBe(0);
    const mint = async (role: string) => {
      const r = await linkage([
        'token',
        '--role',
        role,
        '--user',
        `${role}-user`,
        '--purpose',
        'data-feed',
        '--dsa',
        'DSA-CLI',
      ]);
      expect(r.code).toBe(0);
      return r.stdout.trim();
    };
    const [analyst, ingest] = await Promise.all([mint('analyst'), mint('ingest')]);
    const [denied, allowed, bogus] = await Promise.all([
      linkage(['ingest', '--source', 'cipha', cipha, '--json', '--token', analyst]),
      linkage(['dead-letters', '--json', '--limit', '1', '--token', ingest]),
      linkage(['linkage-report', '--token', 'not-a-token']),
    ]);
    expect(denied.code).toBe(4);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toContain('role_lacks_permission');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.trim().split('\n')).toHaveLength(1);
    expect(bogus.code).toBe(4);

    const rows = await auditRows();
    const of = (action: string) => rows.filter((r) => r.action === action);
    expect(of('ingest.run').map((r) => [r.role, r.outcome])).toEqual([
      ['admin', 'ok'],
      ['admin', 'ok'],
      ['admin', 'ok'],
      ['analyst', 'denied'],
    ]);
    expect(of('read dead-letters').map((r) => [r.actor, r.outcome])).toEqual([
      [expect.any(String), 'ok'],
      ['ingest-user', 'ok'],
    ]);
    expect(of('read linkage-report').map((r) => r.outcome)).toEqual(['ok']);
    expect(of('cli.authenticate')).toEqual([
      expect.objectContaining({ actor: 'anonymous', outcome: 'denied', reason: 'token_invalid' }),
    ]);
  });

  it('never prints an identifier from the input, on stdout or stderr', () => {
    const needles = identifierNeedles(extract.identifiers);
    const input = [...extract.lines, ...extract.liferoomsLines].join('\n');
    expect(findIdentifiers(input, needles).length).toBeGreaterThan(20);
    expect(outputs.length).toBeGreaterThan(20);
    expect(findIdentifiers(outputs.join('\n'), needles)).toEqual([]);
  });
});
