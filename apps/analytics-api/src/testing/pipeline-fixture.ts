import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { createLogger } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import { Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { generatePopulation, type GenerateOptions, type Manifest } from '@linkage/synthetic';
import { createFreshDatabase } from '@linkage/testing';
import { createInProcessTransport } from '@linkage/transport';
import { runFileIngest } from '../../../ingest/src';
import { catchUp, runMatching } from '../../../projector/src';

/** A generated population ingested through the real pipeline into a fresh database. */
export interface PipelineFixture {
  db: Database;
  store: EventStore;
  url: string;
  manifest: Manifest;
  dir: string;
  close(): Promise<void>;
}

/**
 * generate (libs/synthetic) -> ingest (the edge, in-process transport, embedded writer) ->
 * project -> match. For tests; every step is the production code.
 */
export async function ingestedPopulation(
  options: GenerateOptions,
  steps: { project?: boolean } = {},
): Promise<PipelineFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-analytics-'));
  const manifest = await generatePopulation({ format: 'ndjson', progress: 'off', ...options }, dir);
  const fresh = await createFreshDatabase('linkage_analytics');
  const db = await openDatabase({ url: fresh.url });
  const store = await openEventStore({ db });
  const logger = createLogger('test', { level: 'warn' });
  logger.level = 'warn';
  // A key fixed by the seed: pseudonyms order the people, and the matching breaks ties and the
  // bootstrap draws in that order, so a random key made the same seed give different estimates.
  const key = createHash('sha256')
    .update(`pipeline-fixture:${options.seed ?? ''}`)
    .digest();
  const pseudonymiser = new Pseudonymiser({ key, keyId: 'test-key' });
  const postcodes = loadPostcodeLookup();
  // cipha first: registrations give every person a profile before Life Rooms links to them.
  for (const source of ['cipha', 'liferooms'] as const) {
    const transport = createInProcessTransport();
    try {
      await runFileIngest({
        source,
        files: [path.join(dir, manifest.files[source])],
        transport,
        db,
        logger,
        pseudonymiser,
        postcodes,
        store,
        embeddedWriter: true,
        progress: false,
      });
    } finally {
      await transport.close();
    }
  }
  if (steps.project !== false) {
    await catchUp({ sql: db.sql, store });
    await runMatching(db.sql);
  }
  return {
    db,
    store,
    url: fresh.url,
    manifest,
    dir,
    close: async () => {
      await store.close();
      await db.close();
      await fresh.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
