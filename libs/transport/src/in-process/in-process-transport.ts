import { partitionFor } from '../partitioner';
import type {
  IncomingMessage,
  OutgoingMessage,
  SubscribeOptions,
  Transport,
  TransportSubscription,
} from '../transport.port';

export interface InProcessTransportOptions {
  /** Partitions per topic (default 4, like the mock cluster). */
  partitions?: number;
  /** Most messages handed to one eachBatch call (default 5000). */
  maxBatchSize?: number;
}

interface Topic {
  partitions: IncomingMessage[][];
}

interface Group {
  /** Next offset to deliver per partition (the committed offset). */
  committed: number[] | undefined;
  members: Member[];
  busy: Set<number>;
}

interface Member {
  stopped: boolean;
}

/**
 * An in-memory log with Kafka's semantics, for the embedded default (no `KAFKA_BROKERS`):
 * partitions chosen by key hash (same murmur2 as Kafka), per-group committed offsets advanced only
 * after eachBatch resolves, partitions shared among a group's members, and redelivery of
 * uncommitted messages to the next subscriber. Nothing survives the process, by design.
 */
export function createInProcessTransport(options: InProcessTransportOptions = {}): Transport {
  const partitionCount = options.partitions ?? 4;
  const maxBatch = options.maxBatchSize ?? 5000;
  const topics = new Map<string, Topic>();
  const groups = new Map<string, Group>();
  const loops = new Set<{ stop(): Promise<void> }>();
  let wake: (() => void)[] = [];
  let roundRobin = 0;

  const topicOf = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      t = { partitions: Array.from({ length: partitionCount }, () => []) };
      topics.set(name, t);
    }
    return t;
  };
  const notify = () => {
    const waiting = wake;
    wake = [];
    for (const w of waiting) w();
  };

  return {
    kind: 'in-process',

    async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
      const t = topicOf(topic);
      for (const m of messages) {
        const partition =
          m.key === null ? roundRobin++ % partitionCount : partitionFor(m.key, partitionCount);
        const log = t.partitions[partition];
        log.push({
          topic,
          partition,
          offset: String(log.length),
          key: m.key,
          value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value,
          headers: { ...(m.headers ?? {}) },
        });
      }
      notify();
      // Yield so consumers in this process get a turn (backpressure for a fast producer).
      await new Promise((r) => setImmediate(r));
    },

    async subscribe(sub: SubscribeOptions): Promise<TransportSubscription> {
      const t = topicOf(sub.topic);
      const groupKey = `${sub.topic}\u0000${sub.groupId}`;
      let group = groups.get(groupKey);
      if (!group) {
        group = { committed: undefined, members: [], busy: new Set() };
        groups.set(groupKey, group);
      }
      const g = group;
      g.committed ??= t.partitions.map((p) => (sub.fromBeginning ? 0 : p.length));
      const member: Member = { stopped: false };
      g.members.push(member);
      notify();

      const assigned = (): number[] => {
        const index = g.members.indexOf(member);
        const size = g.members.length;
        return t.partitions.map((_, p) => p).filter((p) => p % size === index);
      };

      const loop = (async () => {
        while (!member.stopped) {
          let delivered = false;
          for (const p of assigned()) {
            if (member.stopped) break;
            const from = g.committed![p];
            const log = t.partitions[p];
            if (from >= log.length || g.busy.has(p)) continue;
            const batch = log.slice(from, Math.min(log.length, from + maxBatch));
            g.busy.add(p);
            try {
              await sub.eachBatch(batch);
            } catch (error) {
              sub.onError?.(error);
              member.stopped = true;
              break;
            } finally {
              g.busy.delete(p);
            }
            g.committed![p] = from + batch.length;
            delivered = true;
          }
          if (!delivered && !member.stopped) {
            await new Promise<void>((r) => {
              wake.push(r);
              // A member's share changes when others join or leave; look again now and then.
              setTimeout(r, 200).unref();
            });
          }
        }
        g.members.splice(g.members.indexOf(member), 1);
        notify();
      })();

      const handle = {
        stop: async () => {
          member.stopped = true;
          notify();
          await loop;
          loops.delete(handle);
        },
      };
      loops.add(handle);
      return handle;
    },

    async ensureTopics(names: string[]): Promise<void> {
      for (const name of names) topicOf(name);
    },

    async close(): Promise<void> {
      await Promise.all([...loops].map((l) => l.stop()));
    },
  };
}
