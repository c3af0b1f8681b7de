import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { embeddedDefaultEnv, runLinkage } from '@linkage/testing';

/**
 * `linkage outcomes` on a fresh data directory of the embedded default (no DATABASE_URL), as a
 * newcomer tries it before any demo: it once printed `relation "read_model.checkpoint" does not
 * exist`. Without a key it says which key and how to get one, and leaves nothing behind; with
 * a key it says nothing has been projected yet and what to run.
 */
const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe('linkage outcomes on a fresh data directory (embedded default)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-fresh-dir-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const errorLines = (stderr: string) =>
    stderr.split('\n').filter((l) => l.startsWith('linkage: '));

  it('without a key: names the missing key and `linkage demo`, exits non-zero, creates nothing', async () => {
    const dataDir = path.join(root, 'no-key');
    const r = await runLinkage(['outcomes', '--measure', 'crisis'], {
      cwd: root,
      env: embeddedDefaultEnv(dataDir),
    });
    expect(r.code).not.toBe(0);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(
        /no pseudonymisation key is configured.*PSEUDONYMISATION_KEY.*linkage demo/,
      ),
    ]);
    expect(r.stderr).not.toMatch(/does not exist|relation/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('with a key: says nothing has been ingested and projected yet, and what to run', async () => {
    const dataDir = path.join(root, 'with-key');
    const r = await runLinkage(['outcomes', '--measure', 'crisis'], {
      cwd: root,
      env: {
        ...embeddedDefaultEnv(dataDir),
        PSEUDONYMISATION_KEY: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'warn',
      },
    });
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(
        /^linkage: nothing has been ingested and projected in this database yet .*: run `linkage demo`, or `linkage ingest` then `linkage project`, first$/,
      ),
    ]);
    expect(r.stderr).not.toMatch(/relation "/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});
