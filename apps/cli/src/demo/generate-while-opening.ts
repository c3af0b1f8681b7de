import type { Manifest } from '@linkage/synthetic';
import { openIngestRuntime, type IngestRuntime } from '../../../ingest/src';
import { generate } from './generate';
import type { DemoOptions } from './demo-run';

/**
 * The population generated here while the embedded database starts on its own thread; if the
 * generation fails, the runtime that opened meanwhile is closed.
 */
export async function generateWhileOpening(
  dir: string,
  options: DemoOptions,
): Promise<{ manifest: Manifest; runtime: IngestRuntime }> {
  const opening = openIngestRuntime('demo');
  opening.catch(() => undefined); // awaited below; a failure is thrown there
  let manifest: Manifest;
  try {
    manifest = await generate(dir, options);
  } catch (error) {
    await (await opening.catch(() => undefined))?.close();
    throw error;
  }
  return { manifest, runtime: await opening };
}
