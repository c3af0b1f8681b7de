import { randomBytes } from 'node:crypto';
import { eventually } from '@linkage/testing';
import type { IncomingMessage, Transport, TransportSubscription } from './transport.port';

/**
 * One suite, every transport adapter: the in-process log and Kafka (the kcat mock cluster) must
 * behave the same for everything the ingest pipeline relies on.
 */
export function describeTransportContract(
  name: string,
  factory: () => Promise<{ transport: Transport; cleanup(): Promise<void> }>,
): void {
  describe(`Transport contract: ${name}`, () => {
    let transport: Transport;
    let cleanup: () => Promise<void>;
    const subscriptions: TransportSubscription[] = [];
    const fresh = (what: string) => `contract-${what}-${randomBytes(4).toString('hex')}`;

    beforeEach(async () => {
      ({ transport, cleanup } = await factory());
    });
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
      await cleanup();
    });

    const collect = async (topic: string, groupId: string, into: IncomingMessage[]) => {
      const sub = await transport.subscribe({
        topic,
        groupId,
        fromBeginning: true,
        eachBatch: async (messages) => {
          into.push(...messages);
        },
      });
      subscriptions.push(sub);
      return sub;
    };

    it('delivers every message, keeps order per key and puts a key on one partition', async () => {
      const topic = fresh('order');
      await transport.ensureTopics([topic]);
      const keys = ['alice', 'bob', 'carol', 'dave', 'erin'];
      const messages = Array.from({ length: 200 }, (_, i) => ({
        key: keys[i % keys.length],
        value: JSON.stringify({ key: keys[i % keys.length], n: i }),
        headers: { kind: 'test' },
      }));
      await transport.publish(topic, messages.slice(0, 100));
      await transport.publish(topic, messages.slice(100));
      const received: IncomingMessage[] = [];
      await collect(topic, fresh('group'), received);
      await eventually(() => (received.length >= 200 ? true : undefined), { what: '200 messages' });
      expect(received).toHaveLength(200);
      for (const key of keys) {
        const mine = received.filter((m) => m.key === key);
        expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
        const ns = mine.map((m) => (JSON.parse(m.value.toString()) as { n: number }).n);
        expect(ns).toEqual([...ns].sort((a, b) => a - b));
        expect(mine[0].headers.kind).toBe('test');
      }
    });

    it('keeps order per key when partitions are handled concurrently', async () => {
      const topic = fresh('concurrent');
      await transport.ensureTopics([topic]);
      const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
      await transport.publish(
        topic,
        Array.from({ length: 400 }, (_, i) => ({
          key: keys[i % keys.length],
          value: JSON.stringify({ n: i }),
        })),
      );
      const received: IncomingMessage[] = [];
      const sub = await transport.subscribe({
        topic,
        groupId: fresh('group'),
        fromBeginning: true,
        concurrency: 3,
        eachBatch: async (messages) => {
          await new Promise((r) => setImmediate(r));
          received.push(...messages);
        },
      });
      subscriptions.push(sub);
      await eventually(() => (received.length >= 400 ? true : undefined), { what: '400 messages' });
      expect(received).toHaveLength(400);
      for (const key of keys) {
        const ns = received
          .filter((m) => m.key === key)
          .map((m) => (JSON.parse(m.value.toString()) as { n: number }).n);
        expect(ns).toHaveLength(50);
        expect(ns).toEqual([...ns].sort((a, b) => a - b));
      }
    });

    it('redelivers a batch whose handler failed to the group’s next subscriber', async () => {
      const topic = fresh('redeliver');
      const groupId = fresh('group');
      await transport.ensureTopics([topic]);
      await transport.publish(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
      );
      const errors: unknown[] = [];
      const failing = await transport.subscribe({
        topic,
        groupId,
        fromBeginning: true,
        eachBatch: async () => {
          throw new Error('handler failed');
        },
        onError: (e) => errors.push(e),
      });
      await eventually(() => (errors.length > 0 ? true : undefined), { what: 'a failure' });
      await failing.stop();
      const received: IncomingMessage[] = [];
      await collect(topic, groupId, received);
      await eventually(() => (received.length >= 20 ? true : undefined), { what: 'redelivery' });
      expect(new Set(received.map((m) => m.value.toString())).size).toBe(20);
    });

    it('commits after a batch is handled: the group resumes after it, other groups see all', async () => {
      const topic = fresh('commit');
      const groupId = fresh('group');
      await transport.ensureTopics([topic]);
      await transport.publish(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `old${i}` })),
      );
      const first: IncomingMessage[] = [];
      const sub = await collect(topic, groupId, first);
      await eventually(() => (first.length >= 10 ? true : undefined), { what: 'first pass' });
      await sub.stop();
      await transport.publish(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `new${i}` })),
      );
      const second: IncomingMessage[] = [];
      const other: IncomingMessage[] = [];
      await Promise.all([collect(topic, groupId, second), collect(topic, fresh('other'), other)]);
      await eventually(() => (second.length >= 5 && other.length >= 15 ? true : undefined), {
        what: 'second pass',
      });
      expect(second.map((m) => m.value.toString()).sort()).toEqual(
        ['new0', 'new1', 'new2', 'new3', 'new4'].sort(),
      );
      expect(other).toHaveLength(15);
    });
  });
}
