import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GenerateOptions, Resolved } from './generate-population';
import type { SimulatedRecords, Simulation } from './simulate-people';
import type { SystemTally } from './system-activity';

/**
 * Whether `generatePopulation` draws people on a thread of its own while this one writes them:
 * `LINKAGE_GENERATE_THREADS=1`; unset or 0 keeps it all on this thread (the default). The files
 * are the same bytes either way. The thread pays off only with a core to itself: it costs about a
 * third more CPU in all (batches cross between threads), so on a busy machine, or beside PGlite
 * starting in the demo, it was slower in wall clock too (docs/BENCHMARKS.md, fifth pass).
 */
export function useSimulationThread(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.LINKAGE_GENERATE_THREADS;
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new Error('LINKAGE_GENERATE_THREADS must be 0 or 1');
}

// Plain CommonJS, run as is: loads the thread's entry from dist/ (the CLI) or from its
// TypeScript source (the test runner, compiled on load with swc), with the CLI's @linkage/* paths.
// The same bootstrap as the ingest edge's threads (apps/ingest/src/edge/edge-threads.ts).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
if (workerData.entry.endsWith('.ts')) {
  const swc = require(workerData.swcCore);
  const options = JSON.parse(fs.readFileSync(workerData.swcrc, 'utf8'));
  delete options.$schema;
  require.extensions['.ts'] = (module, filename) => {
    const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
      ...options, swcrc: false, sourceMaps: false, filename,
    });
    module._compile(code, filename);
  };
}
require(workerData.tsconfigPaths).register({
  baseUrl: workerData.baseUrl,
  paths: { '@linkage/contracts': ['contracts/src'], '@linkage/*': ['libs/*/src'] },
  addMatchAll: false,
});
require(workerData.entry);
`;

type Reply =
  { batch: SimulatedRecords[] } | { done: true; tally: SystemTally } | { failed: string };

/** The simulation on a thread of its own: batches arrive in person order, as drawn. */
export function simulateOnThread(p: Resolved, model: GenerateOptions['model']): Simulation {
  const entry = path.join(__dirname, `simulation-thread${path.extname(__filename)}`);
  // libs/synthetic/src -> the repository (sources) or dist/ (the CLI's build).
  const baseUrl = path.resolve(__dirname, '..', '..', '..');
  const swcrc = path.join(baseUrl, '.swcrc');
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: {
      entry,
      baseUrl,
      swcrc: fs.existsSync(swcrc) ? swcrc : undefined,
      swcCore: entry.endsWith('.ts') ? require.resolve('@swc/core') : undefined,
      tsconfigPaths: require.resolve('tsconfig-paths'),
      resolved: p,
      model,
    },
  });

  // Replies wait here until the writer asks for them; an error ends the queue.
  const queue: Reply[] = [];
  let failure: Error | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (reply: Reply) => {
    queue.push(reply);
    notify();
  });
  // The class only: a worker's message could quote a value.
  worker.on('error', (error) => {
    failure ??= new Error(`simulation thread failed (${error.name})`);
    notify();
  });
  worker.on('exit', (code) => {
    if (!finished) failure ??= new Error(`simulation thread exited (code ${code})`);
    notify();
  });

  let tally: SystemTally | undefined;
  return {
    batches: (async function* () {
      for (;;) {
        const reply = queue.shift();
        if (reply === undefined) {
          if (failure) throw failure;
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if ('failed' in reply) throw new Error(`simulation thread failed (${reply.failed})`);
        if ('done' in reply) {
          finished = true;
          tally = reply.tally;
          return;
        }
        worker.postMessage({ taken: 1 });
        yield reply.batch;
      }
    })(),
    tally: () => {
      if (!tally) throw new Error('simulation not finished');
      return tally;
    },
    stop: async () => {
      finished = true;
      await worker.terminate();
    },
  };
}
