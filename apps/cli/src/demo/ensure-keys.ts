import * as fs from 'node:fs';
import { createDemoKey, demoKeyPath } from '@linkage/pseudonymisation';
import { loadJwtSecret } from '@linkage/governance';

/**
 * The demo makes and keeps its own keys; outside the demo, keys must be configured. Returns the
 * token key, read by the same reader as every other verb, so tokens and the audit head agree
 * across reruns.
 */
export function ensureKeys(dir: string): Buffer {
  if (!fs.existsSync(demoKeyPath(dir))) createDemoKey(dir);
  return loadJwtSecret({ allowDemoKey: true });
}
