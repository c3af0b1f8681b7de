import { createHash } from 'node:crypto';
import * as path from 'node:path';
import {
  openEventStore,
  PostgresqlEventStore,
  type AppendStrategy,
  type StreamBatch,
} from '@linkage/event-store';
import { rowOf, type BenchRow } from './bench-report';
import {
  secondsSince,
  type BenchContext,
  type BenchDatabase,
  type BenchScenario,
} from './bench-context';
import {
  CEILING_TABLE_SQL,
  copyTextOf,
  copyWithPostgresJs,
  preparePsqlCopy,
  runPsql,
} from './append-ceiling';
import { openEmmettPeer } from './emmett-peer';

/** Events per `appendMany` call. */
export const BATCH = 1000;
const EVENTS_PER_STREAM_IN_BATCH = 4;
const EVENTS_PER_STREAM = 20;
/** The pool size of every PostgreSQL variant (ours is `openDatabase`'s default). */
export const BENCH_POOL_SIZE = 10;
/** Rounds of the PostgreSQL variants, interleaved; the table shows each variant's median. */
const ROUNDS = 3;

function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * `total` canonical-shaped events as `appendMany` calls of 1000 events: each call spans 250
 * person streams (4 events each), `total / 20` streams in all, as the event writer appends an
 * ingest batch.
 */
export function appendCalls(total: number, runTag: string): StreamBatch[][] {
  const calls: StreamBatch[][] = [];
  for (let start = 0; start < total; start += BATCH) calls.push(appendCall(start, total, runTag));
  return calls;
}

/** The call of `appendCalls` starting at event `start`, made on its own (nothing held). */
export function appendCall(start: number, total: number, runTag: string): StreamBatch[] {
  const streams = Math.max(1, Math.floor(total / EVENTS_PER_STREAM));
  const byStream = new Map<string, StreamBatch>();
  for (let i = start; i < Math.min(total, start + BATCH); i++) {
    const stream = Math.floor(i / EVENTS_PER_STREAM_IN_BATCH) % streams;
    const streamId = `person-bench${stream.toString(16).padStart(8, '0')}`;
    let batch = byStream.get(streamId);
    if (!batch) byStream.set(streamId, (batch = { streamId, events: [] }));
    batch.events.push({
      eventId: uuidOf(`${runTag}:${i}`),
      type: 'GpAppointmentAttended',
      schemaVersion: 1,
      data: {
        source: 'cipha',
        recordId: `cp-${i}`,
        recordType: 'gp_appointment',
        occurredAt: new Date(Date.UTC(2022, 0, 1) + i * 60_000).toISOString(),
        personId: streamId.slice('person-'.length),
        linkKey: null,
        keyId: 'bench',
        practiceCode: 'N82001',
        mode: 'face_to_face',
      },
      metadata: { ingestRunId: runTag, line: i + 1, receivedAt: '2025-01-01T00:00:00.000Z' },
    });
  }
  return [...byStream.values()];
}

/** One measured append: events written and the seconds they took. */
export interface AppendMeasure {
  count: number;
  seconds: number;
}

/** The variants of the scenario, each appending `calls` into a fresh database. */
export type AppendVariant =
  | 'linkage'
  | 'linkage-one-call'
  | 'linkage-statements'
  | 'copy-postgres.js'
  | 'copy-psql'
  | 'emmett';

/** Our variants, by the append strategy each runs (`linkage` is the default, the COPY append). */
const OURS: Partial<Record<AppendVariant, AppendStrategy>> = {
  linkage: 'copy',
  'linkage-one-call': 'one-call',
  'linkage-statements': 'statements',
};
const ROW_NAME: Partial<Record<AppendVariant, string>> = {
  linkage: 'postgresql',
  'linkage-one-call': 'postgresql-one-call',
  'linkage-statements': 'postgresql-statements',
};

export async function measureAppend(
  variant: AppendVariant,
  target: BenchDatabase,
  calls: StreamBatch[][],
  scratchDir: string,
): Promise<AppendMeasure> {
  switch (variant) {
    case 'linkage': {
      const store = await openEventStore({ db: target.db });
      try {
        let count = 0;
        const start = process.hrtime.bigint();
        for (const call of calls) count += (await store.appendMany(call)).appended;
        return { count, seconds: secondsSince(start) };
      } finally {
        await store.close();
      }
    }
    case 'linkage-one-call':
    case 'linkage-statements': {
      // The previous appends, the A/B for the default: one call of event_store.append_events
      // (locks, bump and an insert from json), and before it separate statements (lock,
      // look-up, version upsert, insert) in one transaction.
      const store = new PostgresqlEventStore(target.db.sql, { appendStrategy: OURS[variant] });
      await store.init();
      let count = 0;
      const start = process.hrtime.bigint();
      for (const call of calls) count += (await store.appendMany(call)).appended;
      return { count, seconds: secondsSince(start) };
    }
    case 'copy-postgres.js': {
      await target.db.sql.unsafe(CEILING_TABLE_SQL);
      const texts = copyTextOf(calls);
      const start = process.hrtime.bigint();
      await copyWithPostgresJs(target.db.sql, texts);
      return { count: await ceilingCount(target), seconds: secondsSince(start) };
    }
    case 'copy-psql': {
      await target.db.sql.unsafe(CEILING_TABLE_SQL);
      const script = await preparePsqlCopy(scratchDir, copyTextOf(calls));
      const start = process.hrtime.bigint();
      await runPsql(target.db.url, script);
      const seconds = secondsSince(start);
      return { count: await ceilingCount(target), seconds };
    }
    case 'emmett': {
      const peer = await openEmmettPeer(target.db.url, BENCH_POOL_SIZE);
      try {
        const start = process.hrtime.bigint();
        await peer.append(calls);
        const seconds = secondsSince(start);
        // What Emmett stored, read back from its own table.
        const [row] = await target.db.sql<{ n: bigint | number }[]>`
          select count(*) as n from emt_messages`;
        return { count: Number(row.n), seconds };
      } finally {
        await peer.close();
      }
    }
  }
}

async function ceilingCount(target: BenchDatabase): Promise<number> {
  const [row] = await target.db.sql<{ n: bigint | number }[]>`
    select count(*) as n from bench_ceiling.events`;
  return Number(row.n);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Every PostgreSQL variant on the same events, `rounds` times, interleaved (so a noisy
 * neighbour slows them alike), each on a fresh database; the rows hold each variant's median
 * and ours carries the ratios.
 */
export async function comparePostgresqlAppends(
  ctx: BenchContext,
  total: number,
  rounds = ROUNDS,
  variants: readonly AppendVariant[] = [
    'linkage',
    'linkage-one-call',
    'linkage-statements',
    'copy-postgres.js',
    'copy-psql',
    'emmett',
  ],
): Promise<BenchRow[]> {
  const calls = appendCalls(total, 'postgresql');
  const seconds = new Map<AppendVariant, number[]>(variants.map((v) => [v, []]));
  const counts = new Map<AppendVariant, number>();
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const target = await ctx.freshPostgresql();
      if (!target) return [];
      try {
        const dir = path.join(ctx.tmpDir, `copy-${round}`);
        const m = await measureAppend(variant, target, calls, dir);
        seconds.get(variant)!.push(m.seconds);
        counts.set(variant, m.count);
      } finally {
        await target.dispose();
      }
    }
  }
  const rate = (v: AppendVariant) => (counts.get(v) ?? 0) / median(seconds.get(v)!);
  const copyVariants = variants.filter((v) => v.startsWith('copy-'));
  const bestCopy = copyVariants.length ? Math.max(...copyVariants.map(rate)) : NaN;
  const streams = Math.max(1, Math.floor(total / EVENTS_PER_STREAM));
  return variants.map((variant) => {
    const extra: Record<string, number | string> = { batch: BATCH, streams, rounds };
    if (OURS[variant]) {
      if (copyVariants.length) extra.xCopy = round2(rate(variant) / bestCopy);
      if (variants.includes('emmett')) extra.xEmmett = round2(rate(variant) / rate('emmett'));
    }
    if (variant === 'emmett') {
      extra.pool = BENCH_POOL_SIZE;
      if (copyVariants.length) extra.xCopy = round2(rate('emmett') / bestCopy);
    }
    if (variant.startsWith('copy-') && rate(variant) === bestCopy) extra.ceiling = 'yes';
    const name = ROW_NAME[variant] ?? variant;
    return rowOf(
      'event-store-append',
      name,
      counts.get(variant) ?? 0,
      'events',
      median(seconds.get(variant)!),
      {
        extra,
      },
    );
  });
}

async function onPglite(ctx: BenchContext, total: number): Promise<BenchRow> {
  const target = await ctx.freshPglite();
  try {
    const m = await measureAppend('linkage', target, appendCalls(total, 'pglite'), ctx.tmpDir);
    return rowOf('event-store-append', 'pglite', m.count, 'events', m.seconds, {
      extra: { batch: BATCH, streams: Math.max(1, Math.floor(total / EVENTS_PER_STREAM)) },
    });
  } finally {
    await target.dispose();
  }
}

/**
 * `appendMany` throughput on the real PostgreSQL against the COPY ceiling and Emmett's
 * PostgreSQL store (same events, interleaved rounds), and on embedded PGlite.
 */
export const eventStoreAppendBench: BenchScenario = {
  name: 'event-store-append',
  description:
    'appendMany, batches of 1000 across many streams, vs a COPY ceiling and Emmett; and PGlite',
  sizeKind: 'count',
  defaultSize: 100_000,
  sizeMeaning: 'events per variant',
  async run(size: number, ctx: BenchContext): Promise<BenchRow[]> {
    const postgresql = process.env.DATABASE_URL
      ? await comparePostgresqlAppends(ctx, size)
      : [
          rowOf('event-store-append', 'postgresql', 0, 'events', 0, {
            note: 'skipped: DATABASE_URL not set',
          }),
        ];
    return [...postgresql, await onPglite(ctx, size)];
  },
};
