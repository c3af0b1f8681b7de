import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createLogger, dataDir } from '@linkage/common';
import { openEventStore, type StreamBatch } from '@linkage/event-store';
import { Pseudonymiser, loadPseudonymisationKey } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { ingestRecord } from '../../../ingest/src';
import { catchUp } from '../../../projector/src';
import { rowOf, type BenchRow } from './bench-report';
import { secondsSince, type BenchContext, type BenchScenario } from './bench-context';

const APPEND_BATCH = 1000;

/**
 * Events/s projected by `catchUp` (the read models of `linkage project`) from a fresh store
 * holding the first `size` accepted cipha events of the default population. Only the
 * projection is timed, not the appends that set it up.
 */
export const projectionBench: BenchScenario = {
  name: 'projection',
  description: 'events/s projected into the read models by catchUp, from a fresh store',
  sizeKind: 'count',
  defaultSize: 200_000,
  sizeMeaning: 'events in the store',
  async run(size: number, ctx: BenchContext): Promise<BenchRow[]> {
    const { dir, manifest } = await ctx.population();
    const target = (await ctx.freshPostgresql()) ?? (await ctx.freshPglite());
    const store = await openEventStore({ db: target.db });
    try {
      const pseudonymiser = new Pseudonymiser(
        loadPseudonymisationKey({ dataDir: dataDir(), allowDemoKey: false }),
      );
      const postcodes = loadPostcodeLookup();
      const now = new Date();
      const rl = readline.createInterface({
        input: fs.createReadStream(path.join(dir, manifest.files.cipha)),
        crlfDelay: Infinity,
      });
      let stored = 0;
      let pending: StreamBatch[] = [];
      let pendingEvents = 0;
      const flush = async () => {
        if (pendingEvents === 0) return;
        const result = await store.appendMany(pending);
        stored += result.appended;
        pending = [];
        pendingEvents = 0;
      };
      let line = 0;
      for await (const text of rl) {
        line++;
        if (stored + pendingEvents >= size) break;
        const result = ingestRecord('cipha', text, {
          pseudonymiser,
          postcodes,
          receivedAt: now,
          now,
          line,
        });
        if (!result.ok) continue;
        const { event } = result;
        pending.push({ streamId: `person-${String(event.data.personId)}`, events: [event] });
        if (++pendingEvents >= APPEND_BATCH) await flush();
      }
      rl.close();
      await flush();

      const start = process.hrtime.bigint();
      const { applied } = await catchUp({
        sql: target.db.sql,
        store,
        logger: createLogger('bench'),
      });
      const seconds = secondsSince(start);
      return [rowOf('projection', target.kind, applied, 'events', seconds, { extra: { stored } })];
    } finally {
      await store.close();
      await target.dispose();
    }
  },
};
