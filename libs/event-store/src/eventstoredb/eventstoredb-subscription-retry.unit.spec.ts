import { EventEmitter } from 'node:events';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { eventually } from '@linkage/testing';
import { START, type StoredEvent } from '../event-store.port';
import { EventStoreDbEventStore, encodeEsdbPosition } from './eventstoredb-event-store';

/**
 * The adapter's own retry logic when the server drops a subscription, driven by a stand-in
 * client (the contract suite against a real server runs only with EVENTSTORE_URL or Docker and
 * cannot cut a connection on demand). The stand-in emits what the real client emits: `data`,
 * `caughtUp`, `error` and `end`.
 */
class FakeEsdbSubscription extends EventEmitter {
  unsubscribed = false;
  pause(): void {}
  resume(): void {}
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
  }
}

class FakeEsdbClient {
  readonly subscriptions: { from: unknown; subscription: FakeEsdbSubscription }[] = [];
  subscribeToAll(options: { fromPosition: unknown }): FakeEsdbSubscription {
    const subscription = new FakeEsdbSubscription();
    this.subscriptions.push({ from: options.fromPosition, subscription });
    return subscription;
  }
}

const resolved = (n: number) => ({
  event: {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'VisitRecorded',
    streamId: `person-${n}`,
    revision: 0n,
    isJson: true,
    data: { n },
    metadata: { schemaVersion: 1, metadata: {} },
    position: { commit: BigInt(n * 10), prepare: BigInt(n * 10) },
    created: new Date('2026-01-01T00:00:00Z'),
  },
});

describe('eventstoredb adapter: a dropped subscription resumes', () => {
  const start = () => {
    const client = new FakeEsdbClient();
    const store = new EventStoreDbEventStore(client as unknown as EventStoreDBClient);
    const delivered: StoredEvent[] = [];
    const errors: unknown[] = [];
    const subscription = store.subscribeToAll({
      from: START,
      onEvents: async (events) => {
        delivered.push(...events);
      },
      onError: (error) => errors.push(error),
    });
    const nth = (i: number) =>
      eventually(() => client.subscriptions[i], { what: `subscription number ${i + 1}` });
    return { client, delivered, errors, subscription, nth };
  };

  it.each([
    [
      'a connection error',
      (s: FakeEsdbSubscription) => s.emit('error', new Error('socket hang up')),
    ],
    ['the server ending it', (s: FakeEsdbSubscription) => s.emit('end')],
  ])(
    'after %s: reports it once, resubscribes after the last delivered event, delivers each event once',
    async (_, drop) => {
      const { client, delivered, errors, subscription, nth } = start();
      const first = await nth(0);
      expect(first.from).toBe('start');
      first.subscription.emit('data', resolved(1));
      first.subscription.emit('data', resolved(2));
      await eventually(() => (delivered.length === 2 ? true : undefined), {
        what: 'the first two events delivered',
      });

      drop(first.subscription);
      const second = await nth(1);
      expect(first.subscription.unsubscribed).toBe(true);
      expect(second.from).toEqual({ commit: 20n, prepare: 20n });
      expect(errors).toHaveLength(1);

      // The server may hand the start position over again; it was delivered already.
      second.subscription.emit('data', resolved(2));
      second.subscription.emit('data', resolved(3));
      await eventually(() => (delivered.length >= 3 ? true : undefined), {
        what: 'the third event delivered',
      });
      // Whatever the first subscription still emits after the drop is ignored.
      first.subscription.emit('data', resolved(4));
      second.subscription.emit('data', resolved(5));
      await eventually(() => (delivered.length >= 4 ? true : undefined), {
        what: 'the fifth event delivered',
      });
      expect(delivered.map((e) => e.position)).toEqual(
        [1, 2, 3, 5].map((n) =>
          encodeEsdbPosition({ commit: BigInt(n * 10), prepare: BigInt(n * 10) }),
        ),
      );
      expect(client.subscriptions).toHaveLength(2);

      await subscription.stop();
      await subscription.done;
      expect(second.subscription.unsubscribed).toBe(true);
    },
  );

  it('ends, without resubscribing, when the subscriber itself fails', async () => {
    const { client, errors, subscription, nth } = start();
    const store = new EventStoreDbEventStore(client as unknown as EventStoreDBClient);
    const failure = new Error('projection failed');
    const failing = store.subscribeToAll({
      from: START,
      onEvents: async () => {
        throw failure;
      },
      onError: (error) => errors.push(error),
    });
    const own = await eventually(() => client.subscriptions[1], { what: 'its subscription' });
    own.subscription.emit('data', resolved(1));
    await failing.done;
    expect(errors).toEqual([failure]);
    expect(own.subscription.unsubscribed).toBe(true);
    // The first subscription of start() stays untouched by the other's failure.
    expect((await nth(0)).subscription.unsubscribed).toBe(false);
    await subscription.stop();
  });
});
