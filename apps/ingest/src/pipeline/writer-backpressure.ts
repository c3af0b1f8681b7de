import type { Logger } from '@linkage/common';
import { counter, gauge } from '@linkage/observability';
import type { Transport } from '@linkage/transport';

/** The event writer's consumer group (`apps/event-writer`; repeated here to avoid a cycle). */
export const WRITER_GROUP = 'event-writer';

/** Default bound on the event writer's group lag before publishers wait. */
export const DEFAULT_MAX_WRITER_LAG = 50_000;

/**
 * Default bound on the bytes any one partition of the canonical topic holds unread by the event
 * writer before publishers wait. A broker deletes a partition's oldest messages by size, read
 * or not (Kafka's `retention.bytes`; librdkafka's mock cluster keeps 5 MiB per partition and
 * cannot be told otherwise), so a writer that falls further behind than that loses events. 2 MiB
 * plus one publish (2,000 records, about 1.5 MB spread over the partitions) stays below 5 MiB.
 */
export const DEFAULT_MAX_WRITER_LAG_BYTES = 2 * 1024 * 1024;

/**
 * What a Kafka record costs the log beyond its key and value (record header varints, a share of
 * its batch header): a generous guess, so the estimate errs towards waiting.
 */
export const RECORD_OVERHEAD_BYTES = 64;

/** The bound from `LINKAGE_WRITER_MAX_LAG` (0 turns global backpressure off). */
export function maxWriterLagFromEnv(): number {
  return boundFromEnv('LINKAGE_WRITER_MAX_LAG', DEFAULT_MAX_WRITER_LAG);
}

/** The per-partition bound from `LINKAGE_WRITER_MAX_LAG_BYTES` (0 turns it off). */
export function maxWriterLagBytesFromEnv(): number {
  return boundFromEnv('LINKAGE_WRITER_MAX_LAG_BYTES', DEFAULT_MAX_WRITER_LAG_BYTES);
}

function boundFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

/** Mean bytes per record of a batch about to be published (key, value and record overhead). */
export function meanRecordBytes(
  messages: readonly { key: string | null; value: Buffer | string }[],
): number {
  if (messages.length === 0) return 0;
  let bytes = 0;
  for (const m of messages) {
    bytes += RECORD_OVERHEAD_BYTES + (m.key === null ? 0 : Buffer.byteLength(m.key));
    bytes += typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
  }
  return bytes / messages.length;
}

/** What `/health` shows of backpressure in this process. */
export interface BackpressureStatus {
  /** The bound: publishers wait while the writer's group lags more than this. */
  maxWriterLag: number;
  /** The writer's lag at the last look (null before the first). */
  writerLag: number | null;
  /** The per-partition bound in bytes: publishers wait while any partition holds more unread. */
  maxWriterLagBytes: number;
  /**
   * The most bytes one partition held unread at the last look (estimated: its lag times the
   * mean record size of the batch being published), or null before the first.
   */
  writerLagBytes: number | null;
  /** Publishers of this process waiting now. */
  waiting: number;
  /** Since when the longest current wait began (ISO), or null. */
  waitingSince: string | null;
  /** Waits so far (each a publisher held back at least once). */
  waits: number;
  /** Time publishers of this process have spent held back, in all (ms, waits ended so far). */
  waitedMs: number;
}

const waitingGauge = gauge(
  'linkage_ingest_backpressure_waiting',
  'Publishers waiting because the event writer lags more than the bound',
);
const waitsCounter = counter(
  'linkage_ingest_backpressure_waits_total',
  'Times a publisher was held back by the event writer lag',
);
const writerLagGauge = gauge(
  'linkage_ingest_writer_lag',
  'The event writer group lag as publishers last saw it',
);

const writerLagBytesGauge = gauge(
  'linkage_ingest_writer_lag_bytes',
  'The most bytes one canonical partition held unread by the event writer, as publishers last estimated it',
);

const state = {
  maxWriterLag: maxWriterLagFromEnv(),
  writerLag: null as number | null,
  maxWriterLagBytes: maxWriterLagBytesFromEnv(),
  writerLagBytes: null as number | null,
  waitStarts: new Set<number>(),
  waits: 0,
  waitedMs: 0,
  lastWarnedAt: -Infinity,
};

/** At most one `publisher waiting` warning per this many ms (see `waitForWriterLag`). */
const WARN_EVERY_MS = 30_000;

/** Backpressure as this process sees it now. */
export function backpressureStatus(): BackpressureStatus {
  const oldest = state.waitStarts.size > 0 ? Math.min(...state.waitStarts) : null;
  return {
    maxWriterLag: state.maxWriterLag,
    writerLag: state.writerLag,
    maxWriterLagBytes: state.maxWriterLagBytes,
    writerLagBytes: state.writerLagBytes,
    waiting: state.waitStarts.size,
    waitingSince: oldest === null ? null : new Date(oldest).toISOString(),
    waits: state.waits,
    waitedMs: state.waitedMs,
  };
}

export interface WriterBackpressureOptions {
  transport: Transport;
  /** The canonical-events topic (with its prefix). */
  topic: string;
  groupId?: string;
  maxWriterLag: number;
  /** Bound on one partition's unread bytes (0: off); see `DEFAULT_MAX_WRITER_LAG_BYTES`. */
  maxWriterLagBytes?: number;
  /** Mean bytes per record of what is about to be published (see `meanRecordBytes`). */
  recordBytes?: number;
  logger: Logger;
  /** Stop waiting (the run is aborted or failed); checked between looks. */
  shouldStop?: () => Promise<boolean> | boolean;
  /** Give up when the lag has not gone down for this long (the writer is not running). */
  timeoutMs: number;
}

/** Why a wait ended without the lag coming under the bound. */
export type BackpressureOutcome = 'ok' | 'stopped' | 'timeout';

/**
 * Waits while the event writer's group (in any process: read from the broker) lags more than
 * `maxWriterLag` messages in all, or while any one partition holds more than `maxWriterLagBytes`
 * unread (its lag times `recordBytes`), so that no publisher (HTTP ingest, `linkage ingest`,
 * raw-topic consumers) can run ahead of the store without bound and have unread events deleted
 * by retention (a broker deletes by size per partition: the message count alone does not say
 * how close a partition is to it). Says so in a log line, a metric and `/health`. A lag that
 * cannot be read (the broker is away) does not hold a publisher: publishing itself will fail and
 * say why. Each publisher looks before it publishes, so the log may go past a bound by the
 * batches of the publishers that looked at the same moment (one batch each).
 */
export async function waitForWriterLag(
  options: WriterBackpressureOptions,
): Promise<BackpressureOutcome> {
  const maxBytes = options.maxWriterLagBytes ?? 0;
  const recordBytes = options.recordBytes ?? 0;
  const bytesBound = maxBytes > 0 && recordBytes > 0;
  if (options.maxWriterLag <= 0 && !bytesBound) return 'ok';
  state.maxWriterLag = options.maxWriterLag;
  if (options.maxWriterLagBytes !== undefined) state.maxWriterLagBytes = maxBytes;
  const readLag = async (): Promise<{ total: number; partitionBytes: number } | null> => {
    const lag = await options.transport
      .lag(options.topic, options.groupId ?? WRITER_GROUP)
      .catch(() => null);
    if (lag === null) return null;
    const deepest = lag.partitions.reduce((a, p) => Math.max(a, p.lag), 0);
    const partitionBytes = Math.round(deepest * recordBytes);
    state.writerLag = lag.total;
    writerLagGauge.set(lag.total);
    if (recordBytes > 0) {
      state.writerLagBytes = partitionBytes;
      writerLagBytesGauge.set(partitionBytes);
    }
    return { total: lag.total, partitionBytes };
  };
  const over = (lag: { total: number; partitionBytes: number } | null): boolean =>
    lag !== null &&
    ((options.maxWriterLag > 0 && lag.total > options.maxWriterLag) ||
      (bytesBound && lag.partitionBytes > maxBytes));
  let lag = await readLag();
  if (!over(lag)) return 'ok';

  const started = Date.now();
  // Unique per wait even when two start in the same millisecond.
  let key = started;
  while (state.waitStarts.has(key)) key += 0.001;
  state.waitStarts.add(key);
  state.waits += 1;
  waitsCounter.inc();
  waitingGauge.set(state.waitStarts.size);
  const bounds = {
    maxWriterLag: options.maxWriterLag,
    ...(bytesBound ? { maxWriterLagBytes: maxBytes } : {}),
  };
  // Under a steady load a publisher may wait before most publishes: one warning per half
  // minute says so without a line per batch (the rest at debug; the metrics count every wait).
  const warn = started - state.lastWarnedAt >= WARN_EVERY_MS;
  if (warn) state.lastWarnedAt = started;
  options.logger[warn ? 'warn' : 'debug'](
    { writerLag: lag!.total, writerLagBytes: lag!.partitionBytes, ...bounds, waits: state.waits },
    'publisher waiting: the event writer lags more than the bound',
  );
  let lowest = lag!.total;
  let lastDown = Date.now();
  let interval = 50;
  try {
    for (;;) {
      if (await options.shouldStop?.()) return 'stopped';
      await new Promise((r) => setTimeout(r, interval));
      // Short looks: a writer drains a bound's worth in about a second, and must not idle.
      interval = Math.min(250, interval * 2);
      lag = await readLag();
      if (!over(lag)) {
        options.logger[warn ? 'info' : 'debug'](
          { writerLag: lag?.total ?? null, waitedMs: Date.now() - started },
          'publisher resumed: the event writer caught up',
        );
        return 'ok';
      }
      if (lag!.total < lowest) {
        lowest = lag!.total;
        lastDown = Date.now();
      } else if (Date.now() - lastDown > options.timeoutMs) {
        options.logger.error(
          { writerLag: lag!.total, writerLagBytes: lag!.partitionBytes, ...bounds },
          'the event writer lag has not gone down in time; is it running?',
        );
        return 'timeout';
      }
    }
  } finally {
    state.waitedMs += Date.now() - started;
    state.waitStarts.delete(key);
    waitingGauge.set(state.waitStarts.size);
  }
}
