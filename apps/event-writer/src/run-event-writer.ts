import { createLogger } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import { openEventStore } from '@linkage/event-store';
import { createTransport } from '@linkage/transport';
import { startEventWriter } from './event-writer';

/**
 * Runs the event writer as a service with its own connections until SIGTERM/SIGINT (or the
 * returned `stop()`), for `linkage serve --services event-writer` and `main.ts`.
 */
export async function runEventWriterService(): Promise<{ stop(): Promise<void> }> {
  const logger = createLogger('event-writer');
  const db = await openDatabase();
  const store = await openEventStore({ db });
  const transport = createTransport({ clientId: 'linkage-event-writer', logger });
  const writer = await startEventWriter({ transport, store, db, logger });
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        await writer.stop();
        await transport.close();
        await store.close();
        await db.close();
      })()),
  };
}
