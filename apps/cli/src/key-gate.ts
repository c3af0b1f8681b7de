import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, dataDir } from '@linkage/common';

/** Verbs that run without a configured pseudonymisation key. */
const VERBS_WITHOUT_KEY = new Set(['demo', 'generate', 'validity', 'help']);

/**
 * Refuses to run any verb but the embedded demo (and the generator, which never sees the
 * service's data) unless a pseudonymisation key is configured. The embedded default counts the
 * demo's own key under ./.data as configured, so `linkage outcomes` works after `linkage demo`.
 */
export function assertKeyConfigured(verb: string, env: NodeJS.ProcessEnv = process.env): void {
  if (VERBS_WITHOUT_KEY.has(verb)) return;
  if (env.PSEUDONYMISATION_KEY || env.PSEUDONYMISATION_KEY_FILE) return;
  const demoKey = path.join(dataDir(), 'keys', 'pseudonymisation.key');
  if (!env.DATABASE_URL && fs.existsSync(demoKey)) return;
  throw new ConfigurationError(
    `no pseudonymisation key is configured, so linkage will not run '${verb}': identifiers ` +
      'must be pseudonymised with a key you control. Set PSEUDONYMISATION_KEY (or ' +
      'PSEUDONYMISATION_KEY_FILE), or run `linkage demo`, which makes and keeps its own key ' +
      'under ./.data for the embedded default.',
    'pseudonymisation_key_missing',
  );
}
