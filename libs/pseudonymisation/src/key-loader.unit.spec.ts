import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError } from '@linkage/common';
import {
  createDemoKey,
  deriveKeyId,
  demoKeyPath,
  loadPseudonymisationKey,
  parseKeyMaterial,
} from './key-loader';

describe('loadPseudonymisationKey', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-keys-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const hexKey = 'ab'.repeat(32);

  it('reads a hex key from PSEUDONYMISATION_KEY and derives its id', () => {
    const k = loadPseudonymisationKey({ env: { PSEUDONYMISATION_KEY: hexKey }, dataDir });
    expect(k.key).toEqual(Buffer.alloc(32, 0xab));
    expect(k.keyId).toBe(deriveKeyId(Buffer.alloc(32, 0xab)));
    expect(k.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(k.origin).toBe('env');
  });

  it('reads base64 and raw string keys', () => {
    const b64 = Buffer.alloc(32, 5).toString('base64');
    expect(loadPseudonymisationKey({ env: { PSEUDONYMISATION_KEY: b64 }, dataDir }).key).toEqual(
      Buffer.alloc(32, 5),
    );
    const raw = 'correct horse battery staple, 32+ chars';
    expect(
      loadPseudonymisationKey({ env: { PSEUDONYMISATION_KEY: raw }, dataDir }).key.toString(),
    ).toBe(raw);
  });

  it('takes the key id from PSEUDONYMISATION_KEY_ID', () => {
    const k = loadPseudonymisationKey({
      env: { PSEUDONYMISATION_KEY: hexKey, PSEUDONYMISATION_KEY_ID: '2024-q1' },
      dataDir,
    });
    expect(k.keyId).toBe('2024-q1');
  });

  it('reads PSEUDONYMISATION_KEY_FILE', () => {
    const file = path.join(dataDir, 'k');
    fs.writeFileSync(file, `${hexKey}\n`);
    const k = loadPseudonymisationKey({ env: { PSEUDONYMISATION_KEY_FILE: file }, dataDir });
    expect(k).toMatchObject({ key: Buffer.alloc(32, 0xab), origin: 'file' });
  });

  it('refuses a short key without showing it', () => {
    expect(() => parseKeyMaterial('short-secret')).toThrow(ConfigurationError);
    try {
      loadPseudonymisationKey({ env: { PSEUDONYMISATION_KEY: 'short-secret' }, dataDir });
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret');
    }
  });

  it('explains what to do when there is no key', () => {
    expect.assertions(3);
    try {
      loadPseudonymisationKey({ env: {}, dataDir });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(
        /PSEUDONYMISATION_KEY.*PSEUDONYMISATION_KEY_FILE.*linkage demo/,
      );
      expect((error as ConfigurationError).detail.reason).toBe('missing_pseudonymisation_key');
    }
  });

  it('makes a demo key once, mode 0600, only when allowed', () => {
    const first = loadPseudonymisationKey({ env: {}, dataDir, allowDemoKey: true });
    expect(first.origin).toBe('demo');
    expect(first.key.length).toBe(32);
    expect(fs.statSync(demoKeyPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(createDemoKey(dataDir).key).toEqual(first.key);
    expect(demoKeyPath(dataDir)).toBe(path.join(dataDir, 'keys', 'pseudonymisation.key'));
  });

  it('prefers a configured key over the demo key', () => {
    const k = loadPseudonymisationKey({
      env: { PSEUDONYMISATION_KEY: hexKey },
      dataDir,
      allowDemoKey: true,
    });
    expect(k.origin).toBe('env');
    expect(fs.existsSync(demoKeyPath(dataDir))).toBe(false);
  });
});
