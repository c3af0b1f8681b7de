import { partitionFor } from '../partitioner';
import type {
  IncomingMessage,
  OutgoingMessage,
  SubscribeOptions,
  GroupLag,
  Transport,
  TransportSubscription,
} from '../transport.port';

export interface InProcessTransportOptions {
  /** Partitions per topic (default 4, like the mock cluster). */
  partitions?: number;
  /** Most messages handed to one eachBatch call (default 5000). */
  maxBatchSize?: number;
  /**
   * Backpressure: `publish` waits while a consumer group of the topic lags more than this many
   * messages behind, summed over its partitions (default 10,000), so a fast producer cannot fill
   * memory: what the log retains is bounded whatever the input's size.
   */
  maxLag?: number;
}

/** A partition's retained messages: `messages[0]` has offset `base`. */
interface Partition {
  base: number;
  messages: IncomingMessage[];
  next: number;
}

interface Topic {
  partitions: Partition[];
  groups: Group[];
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
  const maxLag = options.maxLag ?? 10_000;
  const topics = new Map<string, Topic>();
  const groups = new Map<string, Group>();
  const loops = new Set<{ stop(): Promise<void> }>();
  let wake: (() => void)[] = [];
  let roundRobin = 0;

  const topicOf = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      t = {
        partitions: Array.from({ length: partitionCount }, () => ({
          base: 0,
          messages: [],
          next: 0,
        })),
        groups: [],
      };
      topics.set(name, t);
    }
    return t;
  };
  const lag = (t: Topic): number => {
    let worst = 0;
    for (const g of t.groups) {
      if (g.members.length === 0) continue;
      let behind = 0;
      t.partitions.forEach((p, i) => (behind += p.next - g.committed![i]));
      worst = Math.max(worst, behind);
    }
    return worst;
  };
  // Messages every group of the topic has committed are dropped: memory stays flat. (A group
  // created later with fromBeginning starts at the oldest retained message, like Kafka retention.)
  const trim = (t: Topic, partition: number) => {
    if (t.groups.length === 0) return;
    const p = t.partitions[partition];
    const low = Math.min(...t.groups.map((g) => g.committed![partition]));
    if (low - p.base >= 1000) {
      p.messages.splice(0, low - p.base);
      p.base = low;
    }
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
      while (lag(t) > maxLag) {
        await new Promise<void>((r) => {
          wake.push(r);
          setTimeout(r, 200).unref();
        });
      }
      for (const m of messages) {
        const partition =
          m.key === null ? roundRobin++ % partitionCount : partitionFor(m.key, partitionCount);
        const log = t.partitions[partition];
        log.messages.push({
          topic,
          partition,
          offset: String(log.next++),
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
        t.groups.push(group);
      }
      const g = group;
      g.committed ??= t.partitions.map((p) => (sub.fromBeginning ? p.base : p.next));
      const member: Member = { stopped: false };
      g.members.push(member);
      notify();

      const assigned = (): number[] => {
        const index = g.members.indexOf(member);
        const size = g.members.length;
        return t.partitions.map((_, p) => p).filter((p) => p % size === index);
      };

      // One batch per partition at a time (order per key holds), up to `concurrency` partitions
      // at once, so a consumer can prepare one batch while another is being stored.
      const concurrency = Math.max(1, sub.concurrency ?? 1);
      let lastAssigned = '';
      const loop = (async () => {
        const inFlight = new Map<number, Promise<void>>();
        while (!member.stopped) {
          let started = false;
          const mine = assigned();
          if (mine.join(',') !== lastAssigned) {
            lastAssigned = mine.join(',');
            sub.onAssignment?.(mine);
          }
          for (const p of mine) {
            if (member.stopped || inFlight.size >= concurrency) break;
            const log = t.partitions[p];
            const from = Math.max(g.committed![p], log.base);
            if (from >= log.next || g.busy.has(p)) continue;
            const batch = log.messages.slice(
              from - log.base,
              Math.min(log.next, from + maxBatch) - log.base,
            );
            g.busy.add(p);
            started = true;
            const handled = (async () => {
              try {
                await sub.eachBatch(batch);
                g.committed![p] = from + batch.length;
                trim(t, p);
              } catch (error) {
                // Not committed: the next subscriber of the group gets the batch again.
                if (!member.stopped) {
                  member.stopped = true;
                  sub.onError?.(error);
                }
              } finally {
                g.busy.delete(p);
                inFlight.delete(p);
                notify();
              }
            })();
            inFlight.set(p, handled);
          }
          if (!started && !member.stopped) {
            await new Promise<void>((r) => {
              wake.push(r);
              // A member's share changes when others join or leave; look again now and then.
              setTimeout(r, 200).unref();
            });
          }
        }
        await Promise.all(inFlight.values());
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

    async lag(topic: string, groupId: string): Promise<GroupLag> {
      const t = topicOf(topic);
      const g = groups.get(`${topic}\u0000${groupId}`);
      const partitions = t.partitions.map((p, partition) => ({
        partition,
        lag: p.next - Math.max(g?.committed?.[partition] ?? p.base, p.base),
      }));
      return { total: partitions.reduce((a, p) => a + p.lag, 0), partitions };
    },

    async ensureTopics(names: string[]): Promise<void> {
      for (const name of names) topicOf(name);
    },

    async close(): Promise<void> {
      await Promise.all([...loops].map((l) => l.stop()));
    },
  };
}
