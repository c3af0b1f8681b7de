import type { Logger } from '@linkage/common';
import { counter, gauge } from '@linkage/observability';
import type { Transport } from '@linkage/transport';

/** The event writer's consumer group (`apps/event-writer`; repeated here to avoid a cycle). */
export const WRITER_GROUP = 'event-writer';

/** Default bound on the event writer's group lag before publishers wait. */
export const DEFAULT_MAX_WRITER_LAG = 50_000;

/** The bound from `LINKAGE_WRITER_MAX_LAG` (0 turns global backpressure off). */
export function maxWriterLagFromEnv(): number {
  const raw = process.env.LINKAGE_WRITER_MAX_LAG;
  const n = raw === undefined || raw === '' ? DEFAULT_MAX_WRITER_LAG : Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : DEFAULT_MAX_WRITER_LAG;
}

/** What `/health` shows of backpressure in this process. */
export interface BackpressureStatus {
  /** The bound: publishers wait while the writer's group lags more than this. */
  maxWriterLag: number;
  /** The writer's lag at the last look (null before the first). */
  writerLag: number | null;
  /** Publishers of this process waiting now. */
  waiting: number;
  /** Since when the longest current wait began (ISO), or null. */
  waitingSince: string | null;
  /** Waits so far (each a publisher held back at least once). */
  waits: number;
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

const state = {
  maxWriterLag: maxWriterLagFromEnv(),
  writerLag: null as number | null,
  waitStarts: new Set<number>(),
  waits: 0,
};

/** Backpressure as this process sees it now. */
export function backpressureStatus(): BackpressureStatus {
  const oldest = state.waitStarts.size > 0 ? Math.min(...state.waitStarts) : null;
  return {
    maxWriterLag: state.maxWriterLag,
    writerLag: state.writerLag,
    waiting: state.waitStarts.size,
    waitingSince: oldest === null ? null : new Date(oldest).toISOString(),
    waits: state.waits,
  };
}

export interface WriterBackpressureOptions {
  transport: Transport;
  /** The canonical-events topic (with its prefix). */
  topic: string;
  groupId?: string;
  maxWriterLag: number;
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
 * `maxWriterLag` messages, so that no publisher (HTTP ingest, `linkage ingest`, raw-topic
 * consumers) can run ahead of the store without bound and have unread events deleted by
 * retention. Says so in a log line, a metric and `/health`. A lag that cannot be read (the
 * broker is away) does not hold a publisher: publishing itself will fail and say why.
 */
export async function waitForWriterLag(
  options: WriterBackpressureOptions,
): Promise<BackpressureOutcome> {
  if (options.maxWriterLag <= 0) return 'ok';
  state.maxWriterLag = options.maxWriterLag;
  const readLag = async (): Promise<number | null> => {
    const lag = await options.transport
      .lag(options.topic, options.groupId ?? WRITER_GROUP)
      .then((l) => l.total)
      .catch(() => null);
    if (lag !== null) {
      state.writerLag = lag;
      writerLagGauge.set(lag);
    }
    return lag;
  };
  let lag = await readLag();
  if (lag === null || lag <= options.maxWriterLag) return 'ok';

  const started = Date.now();
  // Unique per wait even when two start in the same millisecond.
  let key = started;
  while (state.waitStarts.has(key)) key += 0.001;
  state.waitStarts.add(key);
  state.waits += 1;
  waitsCounter.inc();
  waitingGauge.set(state.waitStarts.size);
  options.logger.warn(
    { writerLag: lag, maxWriterLag: options.maxWriterLag },
    'publisher waiting: the event writer lags more than the bound',
  );
  let lowest = lag;
  let lastDown = Date.now();
  let interval = 50;
  try {
    for (;;) {
      if (await options.shouldStop?.()) return 'stopped';
      await new Promise((r) => setTimeout(r, interval));
      interval = Math.min(1000, interval * 2);
      lag = await readLag();
      if (lag === null || lag <= options.maxWriterLag) {
        options.logger.info(
          { writerLag: lag, waitedMs: Date.now() - started },
          'publisher resumed: the event writer caught up',
        );
        return 'ok';
      }
      if (lag < lowest) {
        lowest = lag;
        lastDown = Date.now();
      } else if (Date.now() - lastDown > options.timeoutMs) {
        options.logger.error(
          { writerLag: lag, maxWriterLag: options.maxWriterLag },
          'the event writer lag has not gone down in time; is it running?',
        );
        return 'timeout';
      }
    }
  } finally {
    state.waitStarts.delete(key);
    waitingGauge.set(state.waitStarts.size);
  }
}
