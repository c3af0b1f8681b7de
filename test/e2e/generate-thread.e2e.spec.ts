import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runLinkage } from '@linkage/testing';

/**
 * The built `linkage generate` (dist/, as users run it) with people drawn on the simulation
 * thread and without it: the thread's entry must load from dist/, and the files must be the same
 * bytes either way (the thread is opt-in: `LINKAGE_GENERATE_THREADS=1`). The CSV digests are
 * golden-output.int.spec.ts's (main's code, seed golden-2).
 */
const GOLDEN_CSV: Record<string, string> = {
  'cipha.csv': 'd33d84326850f8d6baf42759ad1a5187e884a30c1ebb828f9ed78efd1bc835da',
  'dirt-ledger.jsonl': '04b1c01e4415bfd1fe389d75ba4168c9364d52e475a71419eec215a78a75cc79',
  'liferooms.csv': 'b678cb019a40b22289b72b6c8768680907f71082c046fb91d0db7b4ea5e4862f',
  'manifest.json': 'e6e06676e0ed27fc607590b6c233768a67511e4d64dd34986ed6d6988d5aabc6',
};
const ARGS = [
  ...['generate', '--cohort', '40', '--persons', '300', '--years', '3', '--format', 'csv'],
  ...['--end-date', '2024-06-30', '--seed', 'golden-2', '--effect', 'crisis=0.5', 'gp=1.2'],
  ...['--dirt', 'not_json=0.02', 'duplicates=0.05', 'no_nhs_number=0.3', 'date_in_future=0.03'],
  'required=0.02',
];

describe('linkage generate on the simulation thread (end to end)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-generate-thread-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const digests = (dir: string) =>
    Object.fromEntries(
      fs
        .readdirSync(dir)
        .sort()
        .map((f) => [
          f,
          createHash('sha256')
            .update(fs.readFileSync(path.join(dir, f)))
            .digest('hex'),
        ]),
    );

  it('writes the pinned bytes with the thread forced on and with it off', async () => {
    for (const thread of ['1', '0']) {
      const out = path.join(root, `thread-${thread}`);
      const result = await runLinkage([...ARGS, '--out', out], {
        cwd: root,
        env: { ...process.env, LINKAGE_GENERATE_THREADS: thread, LINKAGE_PROGRESS: 'off' },
      });
      expect({ thread, code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual(
        {
          thread,
          code: 0,
          stderr: '',
        },
      );
      expect(digests(out)).toEqual(GOLDEN_CSV);
    }
  });

  it('refuses a bad LINKAGE_GENERATE_THREADS without writing an extract', async () => {
    const out = path.join(root, 'refused');
    const result = await runLinkage([...ARGS, '--out', out], {
      cwd: root,
      env: { ...process.env, LINKAGE_GENERATE_THREADS: 'two', LINKAGE_PROGRESS: 'off' },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('LINKAGE_GENERATE_THREADS must be 0 or 1');
    expect(fs.existsSync(out)).toBe(false);
  });
});
