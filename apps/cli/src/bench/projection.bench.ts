import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createLogger } from '@linkage/common';
import { openEventStore, type StreamBatch } from '@linkage/event-store';
import { Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import type { Manifest } from '@linkage/synthetic';
import { ingestRecord } from '../../../ingest/src';
import { catchUp, unitCosts } from '../../../projector/src';
import { rowOf, type BenchRow } from './bench-report';
import {
  secondsSince,
  type BenchContext,
  type BenchDatabase,
  type BenchScenario,
} from './bench-context';
import { CEILING_TABLE_SQL, copyTextOf, preparePsqlCopy, runPsql } from './append-ceiling';
import { openEmmettProjectionPeer, type EmmettRebuild } from './emmett-projection';
import { BENCH_POOL_SIZE } from './event-store-append.bench';

const APPEND_BATCH = 1000;
/** Events per projection batch, ours (catchUp's default) and Emmett's alike. */
export const PROJECTION_BATCH = 2000;

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The first `size` distinct accepted cipha events of the default population, as append calls
 * (the generator's duplicate records map to the same event id; they are left out here, so that
 * every variant gets exactly the events our store keeps).
 */
async function ciphaEvents(
  size: number,
  population: { dir: string; manifest: Manifest },
): Promise<StreamBatch[][]> {
  const { dir, manifest } = population;
  // Synthetic data only: a key of its own (as the pipeline scenario), whatever is configured.
  const pseudonymiser = new Pseudonymiser({ key: randomBytes(32), keyId: 'bench' });
  const postcodes = loadPostcodeLookup();
  const now = new Date();
  const rl = readline.createInterface({
    input: fs.createReadStream(path.join(dir, manifest.files.cipha)),
    crlfDelay: Infinity,
  });
  const calls: StreamBatch[][] = [];
  let pending: StreamBatch[] = [];
  let total = 0;
  let line = 0;
  const seen = new Set<string>();
  for await (const text of rl) {
    line++;
    if (total >= size) break;
    const result = ingestRecord('cipha', text, {
      pseudonymiser,
      postcodes,
      receivedAt: now,
      now,
      line,
    });
    if (!result.ok) continue;
    const { event } = result;
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    pending.push({ streamId: `person-${String(event.data.personId)}`, events: [event] });
    total++;
    if (pending.length >= APPEND_BATCH) {
      calls.push(pending);
      pending = [];
    }
  }
  rl.close();
  if (pending.length) calls.push(pending);
  return calls;
}

/** Rows of a read-model table (for the check that Emmett built what we built). */
async function countRows(target: BenchDatabase, table: string): Promise<number> {
  const [row] = await target.db.sql<{ n: bigint | number }[]>`
    select count(*) as n from ${target.db.sql.unsafe(table)}`;
  return Number(row.n);
}

/**
 * The projection from a fresh store holding the same events: ours (`catchUp`, every read
 * model), and on the real PostgreSQL its ceiling (`psql \copy` of the same events, 1,000 rows
 * per COPY) and its peer (Emmett's `rebuildPostgreSQLProjections` of the service-use read
 * models at the same batch size, from Emmett's store holding the same events). Only the
 * projections and the COPY are timed.
 */
export async function benchProjection(
  size: number,
  ctx: BenchContext,
  options: { peers?: boolean; population?: { dir: string; manifest: Manifest } } = {},
): Promise<BenchRow[]> {
  const calls = await ciphaEvents(size, options.population ?? (await ctx.population()));
  const target = (await ctx.freshPostgresql()) ?? (await ctx.freshPglite());
  const store = await openEventStore({ db: target.db });
  try {
    let stored = 0;
    for (const call of calls) stored += (await store.appendMany(call)).appended;

    const start = process.hrtime.bigint();
    const { applied } = await catchUp({
      sql: target.db.sql,
      store,
      batchSize: PROJECTION_BATCH,
      logger: createLogger('bench'),
      bulkLoad: true, // a rebuild fills empty read models (rebuildReadModels does the same)
    });
    const seconds = secondsSince(start);
    const ours = rowOf('projection', target.kind, applied, 'events', seconds, {
      extra: { stored, batch: PROJECTION_BATCH },
    });
    if (target.kind !== 'postgresql' || options.peers === false) return [ours];

    // The ceiling: the same events COPYed into a table with the event store's keys.
    await target.db.sql.unsafe(CEILING_TABLE_SQL);
    const script = await preparePsqlCopy(
      path.join(ctx.tmpDir, 'projection-copy'),
      copyTextOf(calls),
    );
    const copyStart = process.hrtime.bigint();
    await runPsql(target.db.url, script);
    const copySeconds = secondsSince(copyStart);
    const copied = await countRows(target, 'bench_ceiling.events');
    const copyRate = copied / copySeconds;

    // The peer: Emmett rebuilding the service-use read models from its own store.
    const peer = await openEmmettProjectionPeer(target.db.url, BENCH_POOL_SIZE, unitCosts().costOf);
    let emmett: EmmettRebuild;
    try {
      await peer.load(calls);
      emmett = await peer.rebuild(PROJECTION_BATCH);
    } finally {
      await peer.close();
    }
    const oursActivity = await countRows(target, 'read_model.activity');
    const oursMonthly = await countRows(target, 'read_model.service_use_monthly');
    const oursRate = applied / seconds;
    const emmettRate = stored / emmett.seconds;
    ours.extra = {
      ...ours.extra,
      xCopy: round2(oursRate / copyRate),
      xEmmett: round2(oursRate / emmettRate),
      activityRows: oursActivity,
      monthlyRows: oursMonthly,
    };
    return [
      ours,
      rowOf('projection', 'emmett-rebuild', stored, 'events', emmett.seconds, {
        extra: {
          batch: PROJECTION_BATCH,
          readModels: 'service use only',
          inStore: emmett.inStore,
          handled: emmett.handled,
          batches: emmett.batches,
          activityRows: emmett.activityRows,
          monthlyRows: emmett.monthlyRows,
          xCopy: round2(emmettRate / copyRate),
        },
      }),
      rowOf('projection', 'copy-psql (same events)', copied, 'events', copySeconds, {
        extra: { batch: APPEND_BATCH, ceiling: 'yes' },
      }),
    ];
  } finally {
    await store.close();
    await target.dispose();
  }
}

/**
 * Events/s projected by `catchUp` (the read models of `linkage project`) from a fresh store
 * holding the first `size` accepted cipha events of the default population, against the COPY
 * of the same events and Emmett's rebuild of the service-use read models.
 */
export const projectionBench: BenchScenario = {
  name: 'projection',
  description:
    'events/s projected into the read models by catchUp, vs a COPY ceiling and an Emmett rebuild',
  sizeKind: 'count',
  defaultSize: 200_000,
  sizeMeaning: 'events in the store',
  run: (size, ctx) => benchProjection(size, ctx),
};
