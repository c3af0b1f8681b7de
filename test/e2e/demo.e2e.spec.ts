import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { embeddedDefaultEnv } from '@linkage/testing';

/**
 * `linkage demo --once` end to end on the embedded default (no DATABASE_URL, no Kafka, no key
 * configured), with a small cohort so that it stays quick: the summary reports what the store
 * did, rejections equal the dirt the generator planted, and the APIs answered.
 */
describe('linkage demo --once (embedded default)', () => {
  const root = path.resolve(__dirname, '..', '..');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-demo-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('generates, ingests, projects, matches, serves and summarises', () => {
    const env = embeddedDefaultEnv(dataDir);
    const run = spawnSync(
      process.execPath,
      [
        path.join(root, 'bin', 'linkage.js'),
        'demo',
        '--once',
        '--cohort',
        '120',
        '--seed',
        'demo-e2e',
        '--port',
        '0',
        '--json',
      ],
      { cwd: root, env, encoding: 'utf8', timeout: 240_000 },
    );
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(dataDir, 'demo', 'source', 'manifest.json'), 'utf8'),
    );

    const planted = Object.fromEntries(
      Object.values(manifest.dirt.planted as Record<string, { reason: string; count: number }>)
        .filter((kind) => kind.count > 0)
        .map((kind) => [kind.reason, kind.count]),
    );
    expect(summary.rejectedByReason).toEqual(planted);
    expect(summary.duplicates).toBe(manifest.dirt.duplicates.count);
    expect(summary.eventsStored).toBeGreaterThan(0);
    expect(summary.records).toBe(summary.eventsStored + summary.duplicates + summary.rejected);
    expect(summary.cohort).toBeGreaterThan(100);
    expect(summary.headline.map((h: { measure: string }) => h.measure)).toEqual(['crisis', 'ae']);
    for (const h of summary.headline) expect(typeof h.did).toBe('number');
    // The demo ran the shipped rulesets; it prints their sizes as published (gated).
    expect(summary.segments.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining([
        'bridges-to-health.generally-well',
        'system-p.complex-lives',
        'operational.rising-risk',
      ]),
    );
    for (const s of summary.segments as { size: number | null }[])
      expect(s.size === null || (s.size % 5 === 0 && !(s.size >= 1 && s.size <= 7))).toBe(true);
    expect(summary.urls.analytics).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.urls.page).toBe(`${summary.urls.analytics}/`);
    expect(summary.tokens.analyst.split('.')).toHaveLength(3);
    // The demo made and kept its own keys under the data folder.
    expect(fs.existsSync(path.join(dataDir, 'keys', 'pseudonymisation.key'))).toBe(true);
  });
});
