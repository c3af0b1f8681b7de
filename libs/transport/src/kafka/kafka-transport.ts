import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  Kafka,
  logLevel,
  Partitioners,
  Producer,
} from 'kafkajs';
import type { Logger } from '@linkage/common';
import type {
  DataLoss,
  GroupLag,
  IncomingMessage,
  OutgoingMessage,
  SubscribeOptions,
  TopicRetention,
  Transport,
  TransportSubscription,
} from '../transport.port';

/** How long a loss report waits for the partition's log start before going without it. */
const LOG_START_TIMEOUT_MS = 5000;

export interface KafkaTransportOptions {
  brokers: string[];
  clientId?: string;
  logger?: Logger;
  /** Consumer session timeout; a killed member's partitions move after this (default 10 s). */
  sessionTimeoutMs?: number;
}

/**
 * The kafkajs adapter. Offsets are committed explicitly after `eachBatch` resolves (autoCommit
 * off), so a crash redelivers the uncommitted batch. Delivery is at least once: consumers must
 * be idempotent (canonical events have deterministic ids).
 */
export function createKafkaTransport(options: KafkaTransportOptions): Transport {
  const log = options.logger;
  // kafkajs resets a group's offset when the broker says it is out of range (the messages were
  // deleted unread, or the offset is past the end) and only logs it: the consumer it concerns
  // hears of it here and stops (see `onDataLoss`).
  const outOfRangeListeners = new Map<string, (partition: number) => void>();
  const kafka = new Kafka({
    clientId: options.clientId ?? 'linkage',
    brokers: options.brokers,
    logLevel: logLevel.ERROR,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        if (/offset out of range, resetting/i.test(entry.message)) {
          const e = entry as unknown as { groupId?: string; topic?: string; partition?: number };
          outOfRangeListeners.get(`${e.groupId}\u0000${e.topic}`)?.(Number(e.partition));
        }
        // kafkajs log entries carry broker and protocol details, never message payloads.
        if (level <= logLevel.ERROR) log?.warn({ kafkajs: entry.message }, 'kafka client');
      },
    retry: { retries: 8, initialRetryTime: 100 },
  });
  let producerReady: Promise<Producer> | undefined;
  let adminReady: Promise<Admin> | undefined;
  /**
   * Set by `close()`, for good: a call afterwards (a health check or lag sample still running)
   * would otherwise open a new admin or producer that nothing closes, and its sockets and
   * timers keep the process alive.
   */
  let closed = false;
  const refuseWhenClosed = () => {
    if (closed) throw new Error('the Kafka transport is closed');
  };
  const getAdmin = (): Promise<Admin> => {
    refuseWhenClosed();
    adminReady ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })().catch((error: unknown) => {
      adminReady = undefined;
      throw error;
    });
    return adminReady;
  };
  /** The group's committed offset per partition (absent: nothing committed yet). */
  const committedOffsets = async (groupId: string, topic: string): Promise<Map<number, bigint>> => {
    const admin = await getAdmin();
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const out = new Map<number, bigint>();
    for (const p of t?.partitions ?? []) {
      if (BigInt(p.offset) >= 0n) out.set(p.partition, BigInt(p.offset));
    }
    return out;
  };
  const consumers = new Set<{ stop(): Promise<void> }>();

  const getProducer = (): Promise<Producer> => {
    refuseWhenClosed();
    producerReady ??= (async () => {
      // Not `idempotent: true`: kafkajs then looks up a controller broker, which librdkafka's
      // mock cluster does not report. One request in flight keeps a partition's order on retry;
      // a retried send may duplicate a message, which consumers absorb (deterministic ids).
      const p = kafka.producer({
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      return p;
    })();
    return producerReady;
  };

  return {
    kind: 'kafka',

    async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
      if (messages.length === 0) return;
      const p = await getProducer();
      await p.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
    },

    async subscribe(sub: SubscribeOptions): Promise<TransportSubscription> {
      refuseWhenClosed();
      const consumer: Consumer = kafka.consumer({
        groupId: sub.groupId,
        sessionTimeout: options.sessionTimeoutMs ?? 10000,
        heartbeatInterval: 1000,
        allowAutoTopicCreation: true,
        maxWaitTimeInMs: 200,
        retry: { retries: 8, initialRetryTime: 100 },
      });
      let failed = false;
      let stopping: Promise<void> | undefined;
      const listenerKey = `${sub.groupId}\u0000${sub.topic}`;
      /** Reports a loss once; nothing past it is handled or committed (see `eachBatch`). */
      const report = (loss: DataLoss) => {
        log?.error({ ...loss, groupId: sub.groupId }, 'consumer group lost messages; stopping');
        sub.onDataLoss?.(loss);
        setImmediate(() => void stop().catch(() => undefined));
      };
      const stop = (): Promise<void> => {
        stopping ??= (async () => {
          consumers.delete(handle);
          if (outOfRangeListeners.get(listenerKey) === onOutOfRange) {
            outOfRangeListeners.delete(listenerKey);
          }
          await consumer.disconnect();
        })();
        return stopping;
      };
      const handle = { stop };
      consumers.add(handle);
      const onOutOfRange = (partition: number) => {
        if (failed) return;
        // Set now, before kafkajs fetches from the offset it reset to: no batch past it is handled.
        failed = true;
        void (async () => {
          // Where the log now starts: everything the group had not read below it is gone (the
          // supervised consumer knows where the group stood, and so how many were lost).
          // Bounded: the report never waits on a slow broker for long (unknown: null).
          let timer: NodeJS.Timeout | undefined;
          const logStart = await Promise.race([
            Promise.resolve()
              .then(getAdmin)
              .then((admin) => admin.fetchTopicOffsets(sub.topic))
              .then((offsets) => offsets.find((o) => o.partition === partition)?.low ?? null)
              .catch(() => null),
            new Promise<null>((resolve) => {
              timer = setTimeout(() => resolve(null), LOG_START_TIMEOUT_MS);
            }),
          ]);
          clearTimeout(timer);
          report({
            topic: sub.topic,
            partition,
            expectedOffset: null,
            firstOffset: logStart,
            reason: 'offset_out_of_range',
          });
        })();
      };
      outOfRangeListeners.set(listenerKey, onOutOfRange);
      const joined = new Promise<void>((resolve) => {
        consumer.on(consumer.events.GROUP_JOIN, (event) => {
          const assignment = event.payload.memberAssignment[sub.topic] ?? [];
          sub.onAssignment?.([...assignment].sort((a, b) => a - b));
          resolve();
        });
      });
      consumer.on(consumer.events.CRASH, (event) => {
        // A crash kafkajs does not recover from itself: the owner decides (resubscribe).
        if (event.payload.restart || failed) return;
        failed = true;
        sub.onError?.(event.payload.error);
        setImmediate(() => void stop().catch(() => undefined));
      });
      await consumer.connect();
      await consumer.subscribe({ topic: sub.topic, fromBeginning: sub.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.max(1, sub.concurrency ?? 1),
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (failed || !isRunning() || isStale() || batch.messages.length === 0) return;
          const messages: IncomingMessage[] = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key ? m.key.toString() : null,
            value: m.value ?? Buffer.alloc(0),
            headers: toHeaders(m.headers),
          }));
          try {
            await sub.eachBatch(messages);
          } catch (error) {
            // Nothing is committed: the batch comes again to the group's next consumer.
            failed = true;
            sub.onError?.(error);
            setImmediate(() => void stop().catch(() => undefined));
            return;
          }
          const last = batch.messages[batch.messages.length - 1].offset;
          resolveOffset(last);
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(last) + 1n).toString(),
            },
          ]);
          await heartbeat();
        },
      });
      await joined;
      return handle;
    },

    async lag(topic: string, groupId: string): Promise<GroupLag> {
      const admin = await getAdmin();
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        committedOffsets(groupId, topic),
      ]);
      const partitions = ends
        .map((p) => {
          const high = BigInt(p.high);
          const low = BigInt(p.low);
          const at = committed.get(p.partition) ?? low;
          return { partition: p.partition, lag: Number(high - (at > low ? at : low)) };
        })
        .sort((a, b) => a.partition - b.partition);
      return { total: partitions.reduce((a, p) => a + Math.max(0, p.lag), 0), partitions };
    },

    async setTopicRetention(topic: string, retentionMs: number): Promise<TopicRetention> {
      const outcome = { topic, retentionMs };
      try {
        const admin = await getAdmin();
        // AlterConfigs (kafkajs has no incremental variant) replaces the topic's overrides with
        // these: fine for the raw topics, which this service creates and owns.
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: topic,
              configEntries: [{ name: 'retention.ms', value: String(retentionMs) }],
            },
          ],
        });
        const described = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] },
          ],
        });
        const value = described.resources[0]?.configEntries.find(
          (e) => e.configName === 'retention.ms',
        )?.configValue;
        return value === String(retentionMs)
          ? { ...outcome, status: 'applied' }
          : { ...outcome, status: 'refused', reason: 'not_confirmed' };
      } catch (error) {
        const e = error as { name?: string; type?: string; code?: string };
        return { ...outcome, status: 'refused', reason: e?.type ?? e?.code ?? e?.name ?? 'error' };
      }
    },

    async ensureTopics(topics: string[]): Promise<void> {
      // admin.createTopics fails on librdkafka's mock cluster, and the admin client never asks
      // for auto-creation; a metadata request from the producer (allowAutoTopicCreation) does.
      const p = await getProducer();
      const admin = kafka.admin();
      await admin.connect();
      try {
        for (const topic of topics) {
          await p.send({ topic, messages: [] }).catch(() => undefined);
        }
        for (let attempt = 0; ; attempt++) {
          try {
            const meta = await admin.fetchTopicMetadata({ topics });
            const ready = meta.topics.every(
              (t) => t.partitions.length > 0 && t.partitions.every((pm) => pm.leader >= 0),
            );
            if (ready) return;
          } catch (error) {
            if (attempt > 50) throw error;
          }
          if (attempt > 50) throw new Error('topics did not become available');
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await admin.disconnect();
      }
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.all([...consumers].map((c) => c.stop()));
      // Also a producer or admin still connecting: awaited, then closed.
      if (producerReady) await (await producerReady.catch(() => undefined))?.disconnect();
      if (adminReady) await (await adminReady.catch(() => undefined))?.disconnect();
    },
  };
}

function toHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined && v !== null) out[k] = Buffer.isBuffer(v) ? v.toString() : String(v);
  }
  return out;
}
