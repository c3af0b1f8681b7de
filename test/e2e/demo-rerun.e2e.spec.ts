import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { embeddedDefaultEnv, eventually } from '@linkage/testing';

const run = promisify(execFile);

/**
 * `linkage demo` twice in one folder, as a user who comes back the next day would: the second
 * run reads the keys the first one made exactly as every other verb does, so tokens minted by
 * `linkage token` work against all three APIs, the API's audit verification agrees with the
 * CLI's, and the summary still reports the link rate of what is stored.
 */
describe('linkage demo, run twice in one folder', () => {
  const root = path.resolve(__dirname, '..', '..');
  const cli = path.join(root, 'bin', 'linkage.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-demo-rerun-'));
  const env = embeddedDefaultEnv(dataDir);
  const demoArgs = ['demo', '--cohort', '120', '--seed', 'demo-rerun', '--port', '0', '--json'];
  let serving: ChildProcess | undefined;

  afterAll(async () => {
    if (serving && serving.exitCode === null) {
      const exited = new Promise((resolve) => serving!.once('exit', resolve));
      serving.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const linkage = async (...args: string[]) =>
    (await run(process.execPath, [cli, ...args], { cwd: root, env, timeout: 400_000 })).stdout;
  const token = async (role: string) =>
    (
      await linkage(
        'token',
        '--role',
        role,
        '--user',
        `rerun-${role}`,
        '--purpose',
        'service-evaluation',
        '--dsa',
        'DSA-LIFEROOMS-CIPHA-DEMO',
      )
    ).trim();
  const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

  it('keeps tokens, the audit head and the link rate working on the second run', async () => {
    const first = lastJsonLine(await linkage(...demoArgs, '--once'));
    expect(first.eventsStored).toBeGreaterThan(0);
    expect(typeof first.linkRate).toBe('number');

    // The second run stays up and serves, so the tokens can be tried against it.
    serving = spawn(process.execPath, [cli, ...demoArgs], { cwd: root, env });
    let stdout = '';
    serving.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    serving.stderr!.resume();
    const second = await eventually(
      () => {
        expect(serving!.exitCode).toBeNull();
        expect(stdout).toContain('\n');
        return lastJsonLine(stdout);
      },
      { timeoutMs: 400_000 },
    );
    expect(second.eventsStored).toBe(0);
    expect(second.duplicates).toBe(second.records - second.rejected);
    expect(second.linkRate).toBe(first.linkRate);
    expect(second.linkRate).toBeGreaterThan(0);

    const get = (url: string, bearer: string) =>
      fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
    const analystTokens = [second.tokens.analyst, await token('analyst')];
    for (const bearer of analystTokens) {
      const res = await get(`${second.urls.analytics}/v1/outcomes?measure=crisis`, bearer);
      expect(res.status).toBe(200);
    }

    for (const bearer of [second.tokens.governanceOfficer, await token('governance-officer')]) {
      const res = await get(`${second.urls.governance}/v1/audit/verify`, bearer);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ intact: true });
    }
    expect(JSON.parse(await linkage('audit', 'verify', '--json'))).toMatchObject({ intact: true });

    const firstRecord = fs
      .readFileSync(path.join(dataDir, 'demo', 'source', 'liferooms.ndjson'), 'utf8')
      .split('\n')[0];
    for (const bearer of [second.tokens.ingest, await token('ingest')]) {
      const res = await fetch(`${second.urls.ingest}/v1/ingest/liferooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-ndjson' },
        body: `${firstRecord}\n`,
      });
      expect(res.status).toBe(200);
      // Already stored by the first run: a duplicate, not a new event.
      expect(await res.json()).toMatchObject({ records: 1, accepted: 0 });
    }
  }, 1_200_000);
});
