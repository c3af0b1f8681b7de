import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { projectRoot } from '@linkage/common';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `linkage` command (`node bin/linkage.js ...args`) and collects its output. */
export function runLinkage(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(projectRoot(), 'bin', 'linkage.js'), ...args],
      {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The environment of a user trying the embedded default in `dataDir`: no database, broker,
 * keys or token configured, no progress bars.
 */
export function embeddedDefaultEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LINKAGE_DATA_DIR: dataDir,
    LINKAGE_PROGRESS: 'off',
  };
  for (const name of [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'PSEUDONYMISATION_KEY',
    'PSEUDONYMISATION_KEY_FILE',
    'PSEUDONYMISATION_KEY_ID',
    'LINKAGE_JWT_SECRET',
    'LINKAGE_JWT_SECRET_FILE',
    'LINKAGE_TOKEN',
  ]) {
    delete env[name];
  }
  return env;
}
