import { parentPort, workerData } from 'node:worker_threads';
import type { GenerateOptions, Resolved } from './generate-population';
import { simulatePeople } from './simulate-people';
import { emptyTally } from './system-activity';

/**
 * The simulation thread's entry (started by `simulation-threads.ts`): draws every person's
 * records and posts them in batches, in person order, keeping at most `MAX_IN_FLIGHT` batches
 * ahead of what the writer has taken (so memory stays bounded when writing is the slower side).
 */
const MAX_IN_FLIGHT = 8;

const port = parentPort;
if (port) {
  const { resolved, model } = workerData as { resolved: Resolved; model: GenerateOptions['model'] };
  let inFlight = 0;
  let wake: (() => void) | undefined;
  port.on('message', (message: { taken: number }) => {
    inFlight -= message.taken;
    wake?.();
  });
  const run = async () => {
    const tally = emptyTally();
    for (const batch of simulatePeople(resolved, model, tally)) {
      while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      inFlight++;
      port.postMessage({ batch });
    }
    port.postMessage({ done: true, tally });
  };
  run().then(
    () => port.close(),
    // The class only: a message could quote a value from a record.
    (error: unknown) =>
      port.postMessage({ failed: error instanceof Error ? error.name : 'unknown' }),
  );
}
