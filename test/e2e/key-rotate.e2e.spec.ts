import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFreshDatabase, runLinkage } from '@linkage/testing';
import { mixedExtract } from '../../apps/ingest/src/testing/ingest-fixtures';

/**
 * The key lifecycle through the real `linkage` command on a fresh PostgreSQL database: the first
 * ingest registers its key; another key (or the same key relabelled) is refused at start with
 * the reason; `linkage key rotate` moves to a new key, after which the old one is refused.
 */
describe('linkage key: checked at start, rotated on demand', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-key-e2e-'));
  const extract = mixedExtract(4, { seed: 3, bad: false });
  const cipha = path.join(dir, 'cipha.ndjson');
  fs.writeFileSync(cipha, extract.lines.join('\n') + '\n');
  const original = randomBytes(32).toString('hex');
  const rotated = randomBytes(32).toString('hex');
  const rotatedFile = path.join(dir, 'rotated.key');
  fs.writeFileSync(rotatedFile, `${rotated}\n`);
  let fresh: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_key_e2e');
  });
  afterAll(async () => {
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function linkage(key: Record<string, string>, ...args: string[]) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: fresh.url,
      LINKAGE_DATA_DIR: path.join(dir, '.data'),
      LINKAGE_PROGRESS: 'off',
      LINKAGE_JWT_SECRET: 'k'.repeat(40),
      ...key,
    };
    for (const name of ['KAFKA_BROKERS', 'LINKAGE_TOKEN', 'PSEUDONYMISATION_KEY_FILE']) {
      if (!(name in key)) delete env[name];
    }
    if (!('PSEUDONYMISATION_KEY_ID' in key)) delete env.PSEUDONYMISATION_KEY_ID;
    return runLinkage(args, { cwd: dir, env });
  }
  const ingest = (key: Record<string, string>) =>
    linkage(key, 'ingest', '--source', 'cipha', '--json', cipha);

  it('refuses a changed or relabelled key at start, and rotates to a new one', async () => {
    const first = await ingest({ PSEUDONYMISATION_KEY: original, PSEUDONYMISATION_KEY_ID: 'k1' });
    expect(first.code).toBe(0);

    const changed = await ingest({ PSEUDONYMISATION_KEY: rotated });
    expect(changed.code).toBe(5);
    expect(changed.stderr).toMatch(
      /linkage: the configured pseudonymisation key \(id '\w+'\) is not the key the stored data was pseudonymised with \(id 'k1'\)/,
    );
    const relabelled = await ingest({
      PSEUDONYMISATION_KEY: original,
      PSEUDONYMISATION_KEY_ID: 'k9',
    });
    expect(relabelled.code).toBe(5);
    expect(relabelled.stderr).toContain("registered as key id 'k1', not 'k9'");

    const rotation = await linkage(
      { PSEUDONYMISATION_KEY: original, PSEUDONYMISATION_KEY_ID: 'k1' },
      'key',
      'rotate',
      '--new-key-file',
      rotatedFile,
      '--new-key-id',
      'k2',
      '--json',
      cipha,
    );
    expect(rotation.code).toBe(0);
    expect(JSON.parse(rotation.stdout.trim())).toMatchObject({
      fromKeyId: 'k1',
      toKeyId: 'k2',
      persons: 4,
      appended: 4,
    });

    const old = await ingest({ PSEUDONYMISATION_KEY: original, PSEUDONYMISATION_KEY_ID: 'k1' });
    expect(old.code).toBe(5);
    expect(old.stderr).toContain("the configured pseudonymisation key 'k1' was retired");
    const now = await ingest({
      PSEUDONYMISATION_KEY_FILE: rotatedFile,
      PSEUDONYMISATION_KEY_ID: 'k2',
    });
    expect(now.code).toBe(0);
    const shown = await linkage(
      { PSEUDONYMISATION_KEY_FILE: rotatedFile, PSEUDONYMISATION_KEY_ID: 'k2' },
      'key',
      'show',
    );
    expect(shown.stdout).toMatch(/^k1 {2}retired {2}fingerprint [0-9a-f]{32}/m);
    expect(shown.stdout).toMatch(/^k2 {2}active/m);
    expect(shown.stdout).not.toContain(original);
    expect(shown.stdout).not.toContain(rotated);
  }, 400_000);
});
