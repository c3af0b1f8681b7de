import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError } from '@linkage/common';
import { assertKeyConfigured } from './key-gate';

describe('assertKeyConfigured', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-keygate-'));
  const saved = process.env.LINKAGE_DATA_DIR;
  beforeAll(() => (process.env.LINKAGE_DATA_DIR = dir));
  afterAll(() => {
    if (saved === undefined) delete process.env.LINKAGE_DATA_DIR;
    else process.env.LINKAGE_DATA_DIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a data verb without a key and says why', () => {
    expect(() => assertKeyConfigured('ingest', {})).toThrow(ConfigurationError);
    expect(() => assertKeyConfigured('ingest', {})).toThrow(/PSEUDONYMISATION_KEY/);
  });

  it('lets the demo and the generator run without a key', () => {
    expect(() => assertKeyConfigured('demo', {})).not.toThrow();
    expect(() => assertKeyConfigured('generate', {})).not.toThrow();
  });

  it('accepts a key from the environment or a key file', () => {
    expect(() =>
      assertKeyConfigured('ingest', { PSEUDONYMISATION_KEY: 'k'.repeat(32) }),
    ).not.toThrow();
    expect(() => assertKeyConfigured('ingest', { PSEUDONYMISATION_KEY_FILE: '/k' })).not.toThrow();
  });

  it("accepts the demo's own key only on the embedded default", () => {
    fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'keys', 'pseudonymisation.key'), 'x');
    expect(() => assertKeyConfigured('outcomes', {})).not.toThrow();
    expect(() => assertKeyConfigured('outcomes', { DATABASE_URL: 'postgres://x/y' })).toThrow(
      ConfigurationError,
    );
  });
});
