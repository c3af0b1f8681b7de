import type { DemoOptions, DemoRun } from './demo-run';
import { prepareDataDir } from './prepare-data-dir';
import { ensureKeys } from './ensure-keys';
import { generateWhileOpening } from './generate-while-opening';
import { openOperator } from './open-operator';
import { ingestSources } from './ingest-sources';
import { project } from './project';
import { match } from './match';
import { segment } from './segment';
import { registerDsa } from './register-dsa';
import { mintTokens } from './mint-tokens';
import { DemoApis, serveUntilStopped } from './serve';
import { collectSummary } from './summary';
import { printSummary } from './print-summary';
import { PhaseClock } from './phase-clock';

/** `linkage demo`: the whole pipeline on the embedded default, one named step after another. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const started = Date.now();
  const clock = new PhaseClock();
  const dir = prepareDataDir();
  const jwtKey = ensureKeys(dir);
  const { manifest, runtime } = await clock.time('generate', () =>
    generateWhileOpening(dir, options),
  );
  const apis = new DemoApis();
  try {
    const run: DemoRun = {
      dir,
      jwtKey,
      manifest,
      runtime,
      ...(await openOperator(runtime, jwtKey)),
    };
    const ingested = await ingestSources(run, clock);
    const projected = await project(run, clock);
    const matching = await clock.time('matching', () => match(run));
    await clock.time('segments', () => segment(run));
    await registerDsa(run);
    const tokens = await mintTokens(run);
    const urls = await clock.time('start the APIs', () => apis.start(run, Number(options.port)));
    const summary = await clock.time('summary through the APIs', () =>
      collectSummary({
        runtime,
        manifest,
        ingested,
        projected,
        matching,
        urls,
        tokens,
        started,
      }),
    );
    printSummary(summary, manifest, options.json === true);
    if (!options.once) await serveUntilStopped(run);
  } finally {
    await apis.close();
    await runtime.close();
  }
}
