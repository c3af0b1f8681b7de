import type { Logger } from '@linkage/common';
import { counter, gauge } from '@linkage/observability';
import { findOffsetGap } from './offset-gaps';
import type { DataLoss, IncomingMessage, Transport, TransportSubscription } from './transport.port';

/**
 * Where a consumer group stands per partition, kept outside the broker (in the database), so a
 * gap is seen also across restarts and rebalances and after an offset reset made behind the
 * consumer's back. A position is saved after a batch is handled and before its offset is
 * committed, so a saved position is never behind the committed offset (no false gaps).
 */
export interface ConsumerPositionStore {
  /** The next offset per partition the group is to read (absent: not known). */
  load(groupId: string, topic: string): Promise<Map<number, bigint>>;
  /** Records that the group has handled everything before `next` (never moves back). */
  save(groupId: string, topic: string, partition: number, next: bigint): Promise<void>;
}

/** Thrown out of a batch to stop its subscription without committing (the loss is reported). */
class DataLossStop extends Error {
  override readonly name = 'DataLossStop';
}

/** What an operator sees of one consumer, on `/health` and as metrics. */
export interface ConsumerStatus {
  name: string;
  topic: string;
  groupId: string;
  state: 'starting' | 'running' | 'backing_off' | 'data_loss' | 'stopped';
  assignedPartitions: number[];
  /** When a batch was last handled (ISO), or null. */
  lastProgressAt: string | null;
  /** Messages the group has not committed, at the last sample (null before the first). */
  lag: number | null;
  restarts: number;
  /** Class and code of the last failure (never a message: driver messages can quote values). */
  lastError: { name: string; code?: string } | null;
  dataLoss: DataLoss | null;
  /** Behind for longer than `stallAfterMs` without handling anything. */
  stalled: boolean;
  healthy: boolean;
}

export interface SupervisedConsumerOptions {
  transport: Transport;
  /** A name for logs, metrics and `/health` (e.g. `raw-liferooms`). */
  name: string;
  topic: string;
  groupId: string;
  fromBeginning?: boolean;
  concurrency?: number;
  eachBatch: (messages: IncomingMessage[]) => Promise<void>;
  logger: Logger;
  /**
   * An earlier loss no operator has resolved: the consumer does not start (kafkajs has already
   * moved the group's offset past the loss, so starting would go on as if nothing happened).
   */
  blockedBy?: DataLoss | null;
  /** Called once when the group lost messages; the consumer then stays stopped. */
  onDataLoss?: (loss: DataLoss) => void | Promise<void>;
  /**
   * Positions kept outside the broker, to find gaps (offsets skipped) across restarts. Without
   * it, gaps are found within one assignment only.
   */
  positions?: ConsumerPositionStore;
  /**
   * Whether the loss that stopped the consumer is still unresolved (checked at each lag
   * sample while stopped for data loss): once an operator resolves it, the consumer subscribes
   * again by itself and `/health` returns to ok.
   */
  stillBlocked?: () => Promise<boolean>;
  /** First pause after a failure; doubles up to `maxBackoffMs` (defaults 500 ms, 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Behind without progress this long counts as stalled (default `LINKAGE_CONSUMER_STALL_MS` or 60 s). */
  stallAfterMs?: number;
  /** How often lag is sampled (default 5 s). */
  lagIntervalMs?: number;
  now?: () => number;
}

export interface SupervisedConsumer {
  status(): ConsumerStatus;
  /** Samples lag now, then returns the status. */
  refresh(): Promise<ConsumerStatus>;
  stop(): Promise<void>;
}

const lagGauge = gauge('linkage_consumer_lag', 'Messages a consumer group has not committed', [
  'consumer',
]);
const assignedGauge = gauge(
  'linkage_consumer_assigned_partitions',
  'Partitions assigned to this process for the consumer',
  ['consumer'],
);
const progressGauge = gauge(
  'linkage_consumer_last_progress_timestamp_seconds',
  'When the consumer last handled a batch (Unix seconds)',
  ['consumer'],
);
const healthyGauge = gauge('linkage_consumer_healthy', '1 when the consumer is healthy', [
  'consumer',
]);
const dataLossCounter = counter(
  'linkage_consumer_data_loss_total',
  'Times a consumer found messages lost (offset out of range, a gap) and stopped',
  ['consumer', 'reason'],
);
const restartsCounter = counter(
  'linkage_consumer_restarts_total',
  'Times a consumer was resubscribed after a failure',
  ['consumer'],
);

/** Every supervised consumer of this process, for `/health`. */
const running = new Set<SupervisedConsumer>();

/** The status of every consumer of this process, lag sampled now. */
export async function consumerStatuses(): Promise<ConsumerStatus[]> {
  return Promise.all([...running].map((c) => c.refresh()));
}

/**
 * Subscribes and keeps the subscription alive: after any failure (a batch that throws, a crash
 * of the client, a subscribe that fails) it subscribes again after a pause that doubles up to a
 * ceiling, so uncommitted messages come back. Lost messages (`onDataLoss`) are the exception: the
 * consumer stops for good and reports unhealthy, because going on would skip them in silence.
 * Lag, assignment and last progress are kept as metrics and for `/health`.
 */
export async function startSupervisedConsumer(
  options: SupervisedConsumerOptions,
): Promise<SupervisedConsumer> {
  const now = options.now ?? Date.now;
  const initialBackoff = options.initialBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const stallAfterMs =
    options.stallAfterMs ?? Number(process.env.LINKAGE_CONSUMER_STALL_MS ?? 60_000);
  const log = options.logger.child({ consumer: options.name, topic: options.topic });
  const labels = { consumer: options.name };

  let state: ConsumerStatus['state'] = 'starting';
  let subscription: TransportSubscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let backoff = initialBackoff;
  let restarts = 0;
  let assigned: number[] = [];
  let lastProgress: number | null = null;
  let lag: number | null = null;
  let behindSince: number | null = null;
  let lastError: ConsumerStatus['lastError'] = null;
  let dataLoss: DataLoss | null = null;
  let stopped = false;
  let resuming = false;
  /** Settles once the loss is recorded (true) or recording failed (false). */
  let lossRecorded: Promise<boolean> | undefined;
  /** The next offset per partition (loaded from `positions` once per assignment). */
  let expected: Promise<Map<number, bigint>> | undefined;
  const expectedOffsets = (): Promise<Map<number, bigint>> => {
    expected ??= options.positions
      ? options.positions.load(options.groupId, options.topic).catch((error: unknown) => {
          expected = undefined;
          throw error;
        })
      : Promise.resolve(new Map());
    return expected;
  };

  const lose = (loss: DataLoss) => {
    if (state === 'data_loss') return;
    dataLoss = { ...loss, groupId: options.groupId };
    state = 'data_loss';
    healthyGauge.set(labels, 0);
    dataLossCounter.inc({ ...labels, reason: loss.reason });
    lossRecorded = (async () => {
      // The broker does not say where the group stood when its offset was out of range: the
      // position this consumer last recorded does.
      if (dataLoss && dataLoss.expectedOffset === null) {
        const known = await expectedOffsets().catch(() => undefined);
        const at = known?.get(loss.partition);
        if (at !== undefined) dataLoss = { ...dataLoss, expectedOffset: at.toString() };
      }
      if (dataLoss) {
        dataLoss = withoutFalseLoss(dataLoss);
        log.error(
          { loss: dataLoss, lost: lostCount(dataLoss) },
          'messages lost; consumer stopped until an operator acts',
        );
        await options.onDataLoss?.(dataLoss);
      }
      return true;
    })().catch((error: unknown) => {
      // Unrecorded, it cannot be resolved either: the consumer stays stopped until a restart.
      log.error({ err: summary(error) }, 'recording the data loss failed');
      return false;
    });
  };

  /** Checks the batch for a gap, handles it, then records where the partition stands. */
  const handle = async (messages: IncomingMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    if (state === 'data_loss') throw new DataLossStop('stopped for data loss');
    const positions = await expectedOffsets();
    const { topic, partition } = messages[0];
    const offsets = messages.map((m) => BigInt(m.offset));
    const gap = findOffsetGap(positions.get(partition), offsets);
    if (gap) {
      lose({
        topic,
        partition,
        expectedOffset: gap.expectedOffset.toString(),
        firstOffset: gap.firstOffset.toString(),
        reason: 'gap',
      });
      throw new DataLossStop('gap in the partition');
    }
    await options.eachBatch(messages);
    const next = offsets.reduce((a, b) => (b > a ? b : a)) + 1n;
    if (next > (positions.get(partition) ?? -1n)) positions.set(partition, next);
    await options.positions?.save(options.groupId, topic, partition, next);
  };

  const schedule = (error: unknown) => {
    if (error instanceof DataLossStop || stopped || state === 'data_loss') return;
    lastError = summary(error);
    restarts += 1;
    restartsCounter.inc(labels);
    state = 'backing_off';
    const delay = backoff;
    backoff = Math.min(maxBackoff, backoff * 2);
    log.error({ err: lastError, retryInMs: delay }, 'consumer failed; subscribing again');
    timer = setTimeout(() => void subscribe(), delay);
  };

  const subscribe = async (): Promise<void> => {
    if (stopped) return;
    try {
      subscription = await options.transport.subscribe({
        topic: options.topic,
        groupId: options.groupId,
        fromBeginning: options.fromBeginning,
        concurrency: options.concurrency,
        eachBatch: async (messages) => {
          await handle(messages);
          lastProgress = now();
          backoff = initialBackoff;
          progressGauge.set(labels, lastProgress / 1000);
        },
        onError: schedule,
        onAssignment: (partitions) => {
          assigned = partitions;
          assignedGauge.set(labels, partitions.length);
          // Another member may have moved these partitions on: read where they stand again.
          expected = undefined;
        },
        onDataLoss: lose,
      });
      if (stopped) {
        await subscription.stop();
        return;
      }
      if (state !== 'data_loss' && state !== 'backing_off') state = 'running';
      if (restarts > 0 || lastError) log.info({ restarts }, 'consumer subscribed again');
    } catch (error) {
      schedule(error);
    }
  };

  /** Subscribes again once an operator has resolved the loss that stopped the consumer. */
  const resumeIfResolved = async (): Promise<void> => {
    if (state !== 'data_loss' || stopped || resuming || !options.stillBlocked) return;
    resuming = true;
    try {
      // Resolved means recorded, then closed by an operator: never before it is recorded.
      if (!lossRecorded || !(await lossRecorded)) return;
      if (state !== 'data_loss' || (await options.stillBlocked())) return;
      log.info({ loss: dataLoss }, 'data-loss incident resolved; consuming again');
      await subscription?.stop().catch(() => undefined);
      dataLoss = null;
      lossRecorded = undefined;
      lastError = null;
      expected = undefined;
      backoff = initialBackoff;
      state = 'starting';
      await subscribe();
    } catch (error) {
      lastError = summary(error);
    } finally {
      resuming = false;
    }
  };

  const sample = async (): Promise<void> => {
    await resumeIfResolved();
    try {
      const l = await options.transport.lag(options.topic, options.groupId);
      lag = l.total;
      lagGauge.set(labels, lag);
      if (lag === 0) behindSince = null;
      else behindSince ??= now();
    } catch (error) {
      lastError = summary(error);
    }
  };

  const status = (): ConsumerStatus => {
    const t = now();
    // Behind, and nothing handled since falling behind (or since the last batch), for too long.
    const stalled =
      state !== 'stopped' &&
      behindSince !== null &&
      t - Math.max(behindSince, lastProgress ?? behindSince) > stallAfterMs;
    const healthy = state !== 'data_loss' && !stalled;
    healthyGauge.set(labels, healthy ? 1 : 0);
    return {
      name: options.name,
      topic: options.topic,
      groupId: options.groupId,
      state,
      assignedPartitions: assigned,
      lastProgressAt: lastProgress === null ? null : new Date(lastProgress).toISOString(),
      lag,
      restarts,
      lastError,
      dataLoss,
      stalled,
      healthy,
    };
  };

  const lagTimer = setInterval(() => void sample(), options.lagIntervalMs ?? 5000);
  lagTimer.unref();

  const self: SupervisedConsumer = {
    status,
    refresh: async () => {
      await sample();
      return status();
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(lagTimer);
      running.delete(self);
      if (state !== 'data_loss') state = 'stopped';
      await subscription?.stop();
    },
  };
  running.add(self);
  if (options.blockedBy) {
    dataLoss = options.blockedBy;
    state = 'data_loss';
    lossRecorded = Promise.resolve(true);
    log.error({ loss: dataLoss }, 'not consuming: an earlier data loss is unresolved');
    return self;
  }
  // The first attempt is awaited (a failure is retried in the background, like any other).
  await subscribe();
  void sample();
  return self;
}

/**
 * An out-of-range offset past the end of the log (or a log that starts at or before where the
 * group stood) lost nothing below the log start: the first offset then says nothing about a
 * loss, and is dropped rather than reported as a negative count.
 */
function withoutFalseLoss(loss: DataLoss): DataLoss {
  if (loss.reason !== 'offset_out_of_range') return loss;
  if (loss.expectedOffset === null || loss.firstOffset === null) return loss;
  return BigInt(loss.firstOffset) > BigInt(loss.expectedOffset)
    ? loss
    : { ...loss, firstOffset: null };
}

/** Messages lost, when both ends are known. */
function lostCount(loss: DataLoss): number | null {
  if (loss.expectedOffset === null || loss.firstOffset === null) return null;
  return Number(BigInt(loss.firstOffset) - BigInt(loss.expectedOffset));
}

function summary(error: unknown): { name: string; code?: string } {
  if (error instanceof Error) return { name: error.name, code: (error as { code?: string }).code };
  return { name: typeof error };
}
