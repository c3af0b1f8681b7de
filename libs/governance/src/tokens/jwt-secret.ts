import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigurationError, dataDir } from '@linkage/common';

const MIN_SECRET_BYTES = 32;

export interface LoadJwtSecretOptions {
  /** Fall back to the demo key under `<data dir>/keys/jwt.key` (made on first use). */
  allowDemoKey?: boolean;
}

/** Where the embedded demo keeps its token signing key. */
export function demoJwtKeyFile(): string {
  return path.join(dataDir(), 'keys', 'jwt.key');
}

/**
 * The token signing secret: `LINKAGE_JWT_SECRET`, else the file named by
 * `LINKAGE_JWT_SECRET_FILE`, else (demo only, when allowed) the demo key.
 * Throws a ConfigurationError when none is available or the secret is shorter than 32 bytes.
 */
export function loadJwtSecret(options: LoadJwtSecretOptions = {}): Buffer {
  const inline = process.env.LINKAGE_JWT_SECRET;
  if (inline) return checked(Buffer.from(inline, 'utf8'));
  const file = process.env.LINKAGE_JWT_SECRET_FILE;
  if (file) {
    if (!fs.existsSync(file)) {
      throw new ConfigurationError(
        'LINKAGE_JWT_SECRET_FILE names a missing file',
        'jwt_secret_file_missing',
      );
    }
    return checked(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'utf8'));
  }
  if (options.allowDemoKey) return createDemoJwtSecret();
  throw new ConfigurationError(
    'no token signing secret: set LINKAGE_JWT_SECRET or LINKAGE_JWT_SECRET_FILE',
    'jwt_secret_missing',
  );
}

/**
 * The demo signing key at `<data dir>/keys/jwt.key`: read when present, otherwise made from 32
 * random bytes and kept (mode 0600) so tokens stay valid across demo runs.
 */
export function createDemoJwtSecret(file: string = demoJwtKeyFile()): Buffer {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      // 'wx': when two processes race, the first one's key wins and both read it back.
      fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return checked(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'utf8'));
}

function checked(secret: Buffer): Buffer {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new ConfigurationError(
      `the token signing secret must be at least ${MIN_SECRET_BYTES} bytes`,
      'jwt_secret_too_short',
    );
  }
  return secret;
}
