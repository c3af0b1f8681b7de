import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFreshDatabase, eventually, runLinkage, type CliResult } from '@linkage/testing';

/**
 * The errors a newcomer meets first, through the real `linkage` command against a fresh
 * PostgreSQL database: each names the problem and the thing, exits non-zero, and shows no stack
 * trace.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe('linkage CLI: errors a newcomer meets', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-cli-errors-'));
  let fresh: { url: string; drop(): Promise<void> };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fresh = await createFreshDatabase('cli_errors');
    env = {
      ...process.env,
      DATABASE_URL: fresh.url,
      LINKAGE_DATA_DIR: path.join(dir, '.data'),
      LINKAGE_PROGRESS: 'off',
      PSEUDONYMISATION_KEY: randomBytes(32).toString('hex'),
      LINKAGE_JWT_SECRET: randomBytes(32).toString('hex'),
    };
    delete env.KAFKA_BROKERS;
    delete env.LINKAGE_TOKEN;
  }, 60_000);
  afterAll(async () => {
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const linkage = (...args: string[]) => runLinkage(args, { cwd: dir, env });

  /** The one line `linkage: ...` main() prints for a failed run. */
  const errorLine = (r: CliResult) => r.stderr.split('\n').find((l) => l.startsWith('linkage: '));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('prints an error a verb throws about its arguments (it was swallowed)', async () => {
    const r = await linkage('outcomes', '--measure', 'bogus');
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/--measure must be one of .*\bae\b.*crisis/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('names a missing file, not ENOENT and stat', async () => {
    const r = await linkage('ingest', '--source', 'liferooms', path.join(dir, 'nowhere.ndjson'));
    expect(r.code).toBe(3);
    expect(errorLine(r)).toBe(`linkage: ${path.join(dir, 'nowhere.ndjson')}: no such file`);
    expect(r.stderr).not.toMatch(/ENOENT|stat/);
  });

  it('says an NDJSON file named .csv looks like NDJSON, naming the file', async () => {
    const file = write('records.csv', '{"record_id":"r1","record_type":"visit"}\n');
    const r = await linkage('ingest', '--source', 'liferooms', file);
    expect(r.code).toBe(3);
    expect(errorLine(r)).toContain(`${file}: read as CSV, but its first line is JSON`);
    expect(errorLine(r)).toContain('--format ndjson');
    expect(r.stderr).not.toMatch(/Invalid Opening Quote|record_id":/);
  });

  it('says a CSV header lacks the required columns', async () => {
    const file = write('wrong-header.csv', 'id,type,when\nr1,visit,2024-01-01T10:00:00Z\n');
    const r = await linkage('ingest', '--source', 'liferooms', file);
    expect(r.code).toBe(3);
    expect(errorLine(r)).toContain(
      `${file}: the CSV header (line 1) has no record_id or record_type`,
    );
    expect(r.stderr).not.toContain('every_record_rejected');
  });

  it('refuses a file whose extension names no format instead of reading it as NDJSON', async () => {
    const file = write('records.txt', '{"record_id":"r1","record_type":"visit"}\n');
    const r = await linkage('ingest', '--source', 'liferooms', file);
    expect(r.code).toBe(3);
    expect(errorLine(r)).toContain(`${file}: cannot tell the format from the extension '.txt'`);
    // With --format the same file is read.
    const ok = await linkage(
      'ingest',
      '--source',
      'liferooms',
      '--format',
      'ndjson',
      '--json',
      file,
    );
    expect(ok.stderr).not.toContain('cannot tell the format');
  });

  it('refuses an unknown dead-letter reason or source instead of answering 0', async () => {
    const r = await linkage('dead-letters', '--reason', 'nonsense');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /argument 'nonsense' is invalid.*Allowed choices are .*invalid_nhs_number/s,
    );
    expect(r.stdout).not.toContain('dead letter(s)');
    expect((await linkage('dead-letters', '--source', 'nope')).code).toBe(2);
  });

  it('says a fresh database has nothing projected yet, not a missing relation', async () => {
    const r = await linkage('outcomes', '--measure', 'crisis');
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(
      /nothing has been ingested and projected in this database yet \(read_model\.\w+ does not exist\): run `linkage demo`/,
    );
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('prints its version', async () => {
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    const r = await linkage('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('shows each default once in help', async () => {
    const r = await linkage('dead-letters', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/default/g)).toHaveLength(2); // --limit's, and --token's own wording
    expect(r.stdout).toContain('(default: 100)');
  });

  it('gives --port the same meaning in serve as in demo: the first of three API ports', async () => {
    for (const verb of ['demo', 'serve']) {
      expect((await linkage(verb, '--help')).stdout).toMatch(
        /--port <port>\s+first of three API ports/,
      );
    }
    expect((await linkage('serve', '--port', 'abc')).code).toBe(2);
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'linkage.js'), 'serve', '--port', '41603'],
      { cwd: dir, env, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      for (const [port, name] of [
        [41603, 'analytics'],
        [41604, 'governance'],
        [41605, 'ingest'],
      ] as const) {
        const status = await eventually(
          async () => (await fetch(`http://127.0.0.1:${port}/health`)).status,
          // Generous: under CI load the governance API once took over 60 s to follow the
          // analytics API (a fresh embedded database, three apps starting in one process).
          { timeoutMs: 150_000, what: `${name} API on ${port}` },
        );
        expect(status).toBe(200);
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 480_000);
});
