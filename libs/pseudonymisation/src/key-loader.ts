import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError } from '@linkage/common';
import type { PseudonymisationKey } from './pseudonymiser';

/** Where a loaded key came from (never the key itself). */
export type KeyOrigin = 'env' | 'file' | 'demo';

export interface LoadedPseudonymisationKey extends PseudonymisationKey {
  origin: KeyOrigin;
}

const MIN_KEY_BYTES = 32;
const MISSING_KEY_MESSAGE =
  'no pseudonymisation key: set PSEUDONYMISATION_KEY (hex, base64 or a string of at least 32 characters) ' +
  'or PSEUDONYMISATION_KEY_FILE, or run `linkage demo`, which makes its own key';

/** The path of the demo key under a data directory. */
export function demoKeyPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'pseudonymisation.key');
}

/**
 * Decodes key material: 64+ hex characters, base64 of 32+ bytes, or else the raw string
 * (at least 32 characters). Throws `ConfigurationError` when shorter.
 */
export function parseKeyMaterial(text: string): Buffer {
  const value = text.trim();
  if (/^(?:[0-9a-fA-F]{2})+$/.test(value) && value.length >= MIN_KEY_BYTES * 2) {
    return Buffer.from(value, 'hex');
  }
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length >= MIN_KEY_BYTES) return decoded;
  }
  if (value.length >= MIN_KEY_BYTES) return Buffer.from(value, 'utf8');
  throw new ConfigurationError(
    'pseudonymisation key is too short: it needs at least 32 bytes (64 hex characters, or 32 characters)',
    'key_too_short',
  );
}

/** The public id of a key: the first 8 hex characters of its SHA-256. */
export function deriveKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Makes (once) and returns the demo key `<dataDir>/keys/pseudonymisation.key` (32 random bytes,
 * hex, mode 0600). Only for demos and tests: real deployments pass their own key.
 */
export function createDemoKey(dataDir: string): LoadedPseudonymisationKey {
  const file = demoKeyPath(dataDir);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      // 'wx' so that two processes starting together keep the first key.
      fs.writeFileSync(file, randomBytes(MIN_KEY_BYTES).toString('hex') + '\n', {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const key = parseKeyMaterial(fs.readFileSync(file, 'utf8'));
  return { key, keyId: deriveKeyId(key), origin: 'demo' };
}

/**
 * Loads the pseudonymisation key: `PSEUDONYMISATION_KEY`, else the file named by
 * `PSEUDONYMISATION_KEY_FILE`, else (only when `allowDemoKey`) the demo key under `dataDir`.
 * The key id is `PSEUDONYMISATION_KEY_ID` or derived from the key. Throws `ConfigurationError`
 * (reason `missing_pseudonymisation_key`) when there is no key.
 */
export function loadPseudonymisationKey(options: {
  env?: NodeJS.ProcessEnv;
  dataDir: string;
  allowDemoKey?: boolean;
}): LoadedPseudonymisationKey {
  const env = options.env ?? process.env;
  let key: Buffer;
  let origin: KeyOrigin;
  if (env.PSEUDONYMISATION_KEY) {
    key = parseKeyMaterial(env.PSEUDONYMISATION_KEY);
    origin = 'env';
  } else if (env.PSEUDONYMISATION_KEY_FILE) {
    let text: string;
    try {
      text = fs.readFileSync(env.PSEUDONYMISATION_KEY_FILE, 'utf8');
    } catch {
      throw new ConfigurationError(
        'PSEUDONYMISATION_KEY_FILE cannot be read',
        'unreadable_pseudonymisation_key_file',
      );
    }
    key = parseKeyMaterial(text);
    origin = 'file';
  } else if (options.allowDemoKey) {
    const demo = createDemoKey(options.dataDir);
    return env.PSEUDONYMISATION_KEY_ID ? { ...demo, keyId: env.PSEUDONYMISATION_KEY_ID } : demo;
  } else {
    throw new ConfigurationError(MISSING_KEY_MESSAGE, 'missing_pseudonymisation_key');
  }
  return { key, keyId: env.PSEUDONYMISATION_KEY_ID || deriveKeyId(key), origin };
}
