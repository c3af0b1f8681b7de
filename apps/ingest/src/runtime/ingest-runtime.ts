import * as fs from 'node:fs';
import { createLogger, dataDir, type Logger } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import {
  Pseudonymiser,
  demoKeyPath,
  loadPseudonymisationKey,
  parseKeyMaterial,
} from '@linkage/pseudonymisation';
import { loadPostcodeLookup, type PostcodeLookup } from '@linkage/reference';
import { createTransport, type Transport } from '@linkage/transport';
import { checkPseudonymisationKey } from '../keys/key-registry';
import { edgeThreadCount, startEdgeThreads, type EdgeThreads } from '../edge/edge-threads';

/** Everything a process needs to ingest, opened from the environment (docs/ARCHITECTURE.md). */
export interface IngestRuntime {
  db: Database;
  store: EventStore;
  transport: Transport;
  pseudonymiser: Pseudonymiser;
  postcodes: PostcodeLookup;
  /** The edge on worker threads for file ingest (`LINKAGE_EDGE_THREADS`; absent when 0). */
  edgeThreads?: EdgeThreads;
  logger: Logger;
  close(): Promise<void>;
}

/**
 * Opens the database, event store, transport, key and postcode table. The demo key is used only
 * when it already exists (`linkage demo` makes it); otherwise a missing key is a configuration
 * error that says how to set one.
 */
export async function openIngestRuntime(
  app = 'ingest',
  options: {
    /**
     * Check the key against the one the stored data was made with (default true); off only for
     * processes that never pseudonymise (an event writer or projector alone).
     */
    checkKey?: boolean;
  } = {},
): Promise<IngestRuntime> {
  const logger = createLogger(app);
  const dir = dataDir();
  const key = loadPseudonymisationKey({
    dataDir: dir,
    allowDemoKey: fs.existsSync(demoKeyPath(dir)),
  });
  // Bloom-filter encoding keys come from their own secret when one is set.
  const encodingKey = process.env.LINKAGE_ENCODING_KEY
    ? parseKeyMaterial(process.env.LINKAGE_ENCODING_KEY)
    : undefined;
  const keys = { ...key, ...(encodingKey ? { encodingKey } : {}) };
  const pseudonymiser = new Pseudonymiser(keys);
  const threads = edgeThreadCount();
  // Started on first use, so processes that never ingest a file never start them.
  const edgeThreads = threads > 0 ? startEdgeThreads(keys, threads) : undefined;
  const postcodes = loadPostcodeLookup();
  const db = await openDatabase();
  try {
    if (options.checkKey !== false) await checkPseudonymisationKey(db.sql, key);
  } catch (error) {
    await db.close();
    throw error;
  }
  const store = await openEventStore({ db });
  const transport = createTransport({ clientId: `linkage-${app}`, logger });
  return {
    db,
    store,
    transport,
    pseudonymiser,
    postcodes,
    ...(edgeThreads ? { edgeThreads } : {}),
    logger,
    close: async () => {
      await edgeThreads?.close();
      await transport.close();
      await store.close();
      await db.close();
    },
  };
}
