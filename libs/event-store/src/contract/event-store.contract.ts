import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from '@linkage/common';
import { eventually } from '@linkage/testing';
import type {
  EventStore,
  EventToAppend,
  Position,
  StoredEvent,
  Subscription,
} from '../event-store.port';

/** Builds a store for the suite; `cleanup` closes it and drops whatever it created. */
export type EventStoreFactory = () => Promise<{ store: EventStore; cleanup(): Promise<void> }>;

/**
 * The one behaviour every event-store adapter must show. It never branches on the backend:
 * each test works in streams of its own (a random prefix) and reads the global log from the
 * head position it saw before writing, so it does not care what other tests stored.
 */
export function describeEventStoreContract(name: string, factory: EventStoreFactory): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;
    let prefix: string;

    beforeAll(async () => {
      ({ store, cleanup } = await factory());
      await store.init();
      await store.init(); // idempotent
    });
    afterAll(async () => {
      await cleanup?.();
    });
    beforeEach(() => {
      prefix = `t${randomUUID().slice(0, 8)}`;
    });

    const stream = (n: number | string) => `${prefix}-${n}`;
    const ours = (events: StoredEvent[]) =>
      events.filter((e) => e.streamId.startsWith(`${prefix}-`));

    /** Everything after `from`, paging through readAll. */
    async function readAllAfter(from: Position, pageSize = 500): Promise<StoredEvent[]> {
      const all: StoredEvent[] = [];
      let at = from;
      for (;;) {
        const page = await store.readAll({ from: at, maxCount: pageSize });
        all.push(...page);
        if (page.length < pageSize) return all;
        at = page[page.length - 1].position;
      }
    }

    describe('appending and reading one stream', () => {
      it('stores events with 0-based versions and reads them back as written', async () => {
        const events = [
          event('VisitRecorded', { site: 'walton' }),
          event('CourseEnrolled', { courseId: 'c1' }),
        ];
        const result = await store.appendToStream(stream('a'), events);
        expect(result).toEqual({
          streamId: stream('a'),
          nextExpectedVersion: 1,
          appended: events.map((e) => e.eventId),
          duplicates: [],
        });
        const read = await store.readStream(stream('a'));
        expect(
          read.map((e) => [e.eventId, e.type, e.schemaVersion, e.streamVersion, e.streamId]),
        ).toEqual([
          [events[0].eventId, 'VisitRecorded', 1, 0, stream('a')],
          [events[1].eventId, 'CourseEnrolled', 1, 1, stream('a')],
        ]);
        expect(read[0].data).toEqual({ site: 'walton' });
        expect(read[0].metadata).toEqual({ receivedAt: '2024-01-01T00:00:00.000Z' });
        expect(read[0].recordedAt).toBeInstanceOf(Date);
        expect(read[0].position < read[1].position).toBe(true);
      });

      it('reads from a version and at most maxCount events', async () => {
        await store.appendToStream(
          stream('a'),
          [1, 2, 3, 4, 5].map((n) => event('E', { n })),
        );
        const read = await store.readStream(stream('a'), { fromVersion: 2, maxCount: 2 });
        expect(read.map((e) => [e.streamVersion, e.data.n])).toEqual([
          [2, 3],
          [3, 4],
        ]);
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream(stream('nobody'))).toEqual([]);
      });
    });

    describe('expected version', () => {
      it('appends when the version matches and throws ConcurrencyError, storing nothing, when not', async () => {
        await store.appendToStream(stream('v'), [event('E'), event('E')]);
        const stale = event('E');
        await expect(
          store.appendToStream(stream('v'), [stale], { expectedVersion: 0 }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        expect((await store.readStream(stream('v'))).map((e) => e.eventId)).not.toContain(
          stale.eventId,
        );
        expect(await store.readStream(stream('v'))).toHaveLength(2);

        const ok = await store.appendToStream(stream('v'), [stale], { expectedVersion: 1 });
        expect(ok.nextExpectedVersion).toBe(2);
        expect(ok.appended).toEqual([stale.eventId]);
      });

      it('honours no_stream and -1 only for a stream that has no events', async () => {
        const first = await store.appendToStream(stream('n'), [event('E')], {
          expectedVersion: 'no_stream',
        });
        expect(first.nextExpectedVersion).toBe(0);
        await expect(
          store.appendToStream(stream('n'), [event('E')], { expectedVersion: 'no_stream' }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(
          store.appendToStream(stream('n'), [event('E')], { expectedVersion: -1 }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(stream('n'))).toHaveLength(1);
        await store.appendToStream(stream('m'), [event('E')], { expectedVersion: -1 });
        expect(await store.readStream(stream('m'))).toHaveLength(1);
      });

      it('honours stream_exists only for a stream that has events', async () => {
        const lost = event('E');
        await expect(
          store.appendToStream(stream('x'), [lost], { expectedVersion: 'stream_exists' }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(stream('x'))).toEqual([]);
        await store.appendToStream(stream('x'), [event('E')]);
        const ok = await store.appendToStream(stream('x'), [lost], {
          expectedVersion: 'stream_exists',
        });
        expect(ok.nextExpectedVersion).toBe(1);
      });

      it('lets exactly one of several concurrent writers with the same expected version win', async () => {
        await store.appendToStream(stream('race'), [event('E')]);
        const attempts = await Promise.allSettled(
          Array.from({ length: 8 }, () =>
            store.appendToStream(stream('race'), [event('E')], { expectedVersion: 0 }),
          ),
        );
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        for (const a of attempts.filter((a) => a.status === 'rejected')) {
          expect((a as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
        }
        expect((await store.readStream(stream('race'))).map((e) => e.streamVersion)).toEqual([
          0, 1,
        ]);
      });
    });

    describe('idempotency by event id', () => {
      it('stores a re-appended event once and reports it as a duplicate', async () => {
        const [a, b, c] = [event('E'), event('E'), event('E')];
        await store.appendToStream(stream('d'), [a, b]);
        const again = await store.appendToStream(stream('d'), [b, c]);
        expect(again.appended).toEqual([c.eventId]);
        expect(again.duplicates).toEqual([b.eventId]);
        expect(again.nextExpectedVersion).toBe(2);
        const read = await store.readStream(stream('d'));
        expect(read.map((e) => [e.eventId, e.streamVersion])).toEqual([
          [a.eventId, 0],
          [b.eventId, 1],
          [c.eventId, 2],
        ]);
      });

      it('stores an id repeated within one batch once', async () => {
        const a = event('E');
        const result = await store.appendToStream(stream('d'), [a, { ...a }]);
        expect(result.appended).toEqual([a.eventId]);
        expect(result.duplicates).toEqual([a.eventId]);
        expect(await store.readStream(stream('d'))).toHaveLength(1);
      });

      it('stores an event id once across streams: the second stream gets a duplicate', async () => {
        const a = event('E');
        await store.appendToStream(stream('first'), [a]);
        const elsewhere = await store.appendToStream(stream('second'), [a, event('E')]);
        expect(elsewhere.duplicates).toEqual([a.eventId]);
        expect(elsewhere.appended).toHaveLength(1);
        expect(elsewhere.nextExpectedVersion).toBe(0);
        const many = await store.appendMany([{ streamId: stream('third'), events: [a] }]);
        expect(many).toMatchObject({ appended: 0, duplicates: 1 });
        expect(await store.readStream(stream('first'))).toHaveLength(1);
        expect(await store.readStream(stream('third'))).toEqual([]);
      });

      it('reports a fully repeated append as duplicates without changing the stream', async () => {
        const events = [event('E'), event('E')];
        await store.appendToStream(stream('d'), events);
        const again = await store.appendToStream(stream('d'), events);
        expect(again).toEqual({
          streamId: stream('d'),
          nextExpectedVersion: 1,
          appended: [],
          duplicates: events.map((e) => e.eventId),
        });
      });
    });

    describe('appendMany', () => {
      it('appends to many streams at once and is idempotent across calls and within a call', async () => {
        const batches = Array.from({ length: 40 }, (_, s) => ({
          streamId: stream(s),
          events: [0, 1, 2].map((n) => event('E', { s, n })),
        }));
        const first = await store.appendMany(batches);
        expect(first.appended).toBe(120);
        expect(first.duplicates).toBe(0);
        expect(first.streams).toHaveLength(40);
        expect(first.streams.every((s) => s.nextExpectedVersion === 2)).toBe(true);

        const extra = event('E', { extra: true });
        const second = await store.appendMany([
          { streamId: stream(0), events: [batches[0].events[1], extra, { ...extra }] },
          { streamId: stream(1), events: batches[1].events },
        ]);
        expect(second.appended).toBe(1);
        expect(second.duplicates).toBe(5);
        expect(second.streams.find((s) => s.streamId === stream(0))).toMatchObject({
          nextExpectedVersion: 3,
          appended: [extra.eventId],
        });
        expect(second.streams.find((s) => s.streamId === stream(1))).toMatchObject({
          nextExpectedVersion: 2,
          appended: [],
        });

        for (const s of [0, 17, 39]) {
          const read = await store.readStream(stream(s));
          expect(read.map((e) => e.streamVersion)).toEqual(s === 0 ? [0, 1, 2, 3] : [0, 1, 2]);
          expect(read.slice(0, 3).map((e) => e.data.n)).toEqual([0, 1, 2]);
        }
      });

      it('stores nothing of a batch that holds an invalid event (all or nothing)', async () => {
        const good = [0, 1, 2].map((s) => ({
          streamId: stream(`atomic-${s}`),
          events: [event('E')],
        }));
        const bad = { ...event('E'), schemaVersion: 1.5 };
        await expect(
          store.appendMany([...good, { streamId: stream('atomic-bad'), events: [bad] }]),
        ).rejects.toThrow();
        for (const b of good) expect(await store.readStream(b.streamId)).toEqual([]);
        // The same good events append afterwards as new, not as duplicates of a partial write.
        expect(await store.appendMany(good)).toMatchObject({ appended: 3, duplicates: 0 });
      });

      it('continues the versions of streams that already have events', async () => {
        await store.appendToStream(stream('old'), [event('E'), event('E')]);
        const result = await store.appendMany([
          { streamId: stream('old'), events: [event('E')] },
          { streamId: stream('new'), events: [event('E')] },
        ]);
        expect(result.streams.map((s) => [s.streamId, s.nextExpectedVersion])).toEqual([
          [stream('old'), 2],
          [stream('new'), 0],
        ]);
      });
    });

    describe('appendMany with ids stored before', () => {
      it('appends the new events of a call that also holds stored ids, numbered without gaps', async () => {
        const [a, b] = [event('E', { n: 'a' }), event('E', { n: 'b' })];
        await store.appendMany([
          { streamId: stream('x'), events: [a] },
          { streamId: stream('y'), events: [b] },
        ]);
        const [n1, n2, n3] = [1, 2, 3].map((n) => event('E', { n }));
        const result = await store.appendMany([
          // a was stored in another stream: a duplicate here, and the new events close up.
          { streamId: stream('y'), events: [n1, a, n2] },
          { streamId: stream('z'), events: [b, n3, { ...n3 }] },
          { streamId: stream('x'), events: [] },
        ]);
        expect(result).toMatchObject({ appended: 3, duplicates: 3 });
        expect(result.streams.map((s) => [s.streamId, s.nextExpectedVersion])).toEqual([
          [stream('y'), 2],
          [stream('z'), 0],
          [stream('x'), 0],
        ]);
        expect(result.streams[0]).toMatchObject({
          appended: [n1.eventId, n2.eventId],
          duplicates: [a.eventId],
        });
        const y = await store.readStream(stream('y'));
        expect(y.map((e) => [e.eventId, e.streamVersion])).toEqual([
          [b.eventId, 0],
          [n1.eventId, 1],
          [n2.eventId, 2],
        ]);
        expect((await store.readStream(stream('z'))).map((e) => e.eventId)).toEqual([n3.eventId]);
        expect(await store.readStream(stream('x'))).toHaveLength(1);
      });

      it('stores each id once when two callers append the same events to different streams at once', async () => {
        const shared = Array.from({ length: 30 }, (_, n) => event('E', { n }));
        const results = await Promise.all(
          ['p', 'q', 'r'].map((name, w) =>
            store.appendMany(
              // Each caller interleaves the shared events with events of its own.
              shared.map((e, n) => ({
                streamId: stream(`${name}-${n % 3}`),
                events: [e, event('E', { w, n })],
              })),
            ),
          ),
        );
        expect(results.reduce((sum, r) => sum + r.appended, 0)).toBe(30 + 3 * 30);
        expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(2 * 30);
        const stored: StoredEvent[] = [];
        for (const name of ['p', 'q', 'r']) {
          for (const k of [0, 1, 2]) {
            const read = await store.readStream(stream(`${name}-${k}`));
            expect(read.map((e) => e.streamVersion)).toEqual(read.map((_, i) => i));
            stored.push(...read);
          }
        }
        const ids = stored.map((e) => e.eventId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const e of shared) expect(ids).toContain(e.eventId);
      });
    });

    describe('the global log', () => {
      it('reads all events after a position in append order, in pages, with a head and a count', async () => {
        const head = await store.headPosition();
        const written: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const events = [event('E', { i }), event('E', { i })];
          written.push(...events.map((e) => e.eventId));
          await store.appendToStream(stream(i % 2), events);
        }
        const all = ours(await readAllAfter(head, 3));
        expect(all.map((e) => e.eventId)).toEqual(written);
        assertIncreasing(all.map((e) => e.position));
        expect(await store.headPosition()).toBe(all[all.length - 1].position);
        // Other tests may write meanwhile; ours are at least counted, and nothing after the head.
        expect(await store.countAfter(head)).toBeGreaterThanOrEqual(written.length);
        expect(await store.countAfter(all[all.length - 1].position)).toBeGreaterThanOrEqual(0);
        expect(await store.readAll({ from: await store.headPosition() })).toEqual([]);
      });
    });

    describe('subscribeToAll', () => {
      it('delivers everything, old and new, exactly once in global order', async () => {
        const head = await store.headPosition();
        const before = Array.from({ length: 30 }, (_, i) => event('E', { i }));
        await store.appendMany([{ streamId: stream('s'), events: before }]);

        const seen: StoredEvent[] = [];
        let caughtUp: Position | undefined;
        const sub = store.subscribeToAll({
          from: head,
          batchSize: 7,
          pollIntervalMs: 20,
          onEvents: async (events) => {
            seen.push(...events);
          },
          onCaughtUp: (position) => {
            caughtUp = position;
          },
        });
        try {
          await eventually(() => (ours(seen).length >= 30 && caughtUp ? true : undefined), {
            what: 'catch-up',
          });
          const after = Array.from({ length: 12 }, (_, i) => event('E', { i: 30 + i }));
          await store.appendToStream(stream('s'), after);
          await eventually(() => (ours(seen).length >= 42 ? true : undefined), {
            what: 'live events',
          });
        } finally {
          await sub.stop();
        }
        const mine = ours(seen);
        expect(mine.map((e) => e.data.i)).toEqual(Array.from({ length: 42 }, (_, i) => i));
        assertIncreasing(seen.map((e) => e.position));
        expect(ours(await readAllAfter(head)).map((e) => e.eventId)).toEqual(
          mine.map((e) => e.eventId),
        );
      });

      it('resumes strictly after a checkpoint', async () => {
        const head = await store.headPosition();
        await store.appendToStream(
          stream('r'),
          Array.from({ length: 10 }, (_, i) => event('E', { i })),
        );
        const firstRun: StoredEvent[] = [];
        const sub = store.subscribeToAll({
          from: head,
          batchSize: 4,
          pollIntervalMs: 20,
          onEvents: async (events) => {
            firstRun.push(...events);
          },
        });
        await eventually(() => (ours(firstRun).length >= 10 ? true : undefined), {
          what: 'first run',
        });
        await sub.stop();
        const checkpoint = ours(firstRun)[5].position;

        await store.appendToStream(
          stream('r'),
          Array.from({ length: 3 }, (_, i) => event('E', { i: 10 + i })),
        );
        const secondRun: StoredEvent[] = [];
        const resumed = store.subscribeToAll({
          from: checkpoint,
          pollIntervalMs: 20,
          onEvents: async (events) => {
            secondRun.push(...events);
          },
        });
        await eventually(() => (ours(secondRun).length >= 7 ? true : undefined), {
          what: 'resumed run',
        });
        await resumed.stop();
        expect(ours(secondRun).map((e) => e.data.i)).toEqual([6, 7, 8, 9, 10, 11, 12]);
      });

      it('stops when onEvents throws, leaving done resolved', async () => {
        await store.appendToStream(stream('f'), [event('E')]);
        const errors: unknown[] = [];
        const sub = store.subscribeToAll({
          from: '',
          pollIntervalMs: 20,
          onEvents: async () => {
            throw new Error('projection failed');
          },
          onError: (error) => errors.push(error),
        });
        await sub.done;
        expect(errors).toHaveLength(1);
        await sub.stop();
      });
    });

    describe('under concurrent writers', () => {
      it('a subscriber sees every committed event exactly once in one consistent order, across a restart', async () => {
        const head = await store.headPosition();
        const WRITERS = 8;
        const ROUNDS = 12;
        const written = new Set<string>();
        let conflicts = 0;

        const delivered: StoredEvent[] = [];
        let checkpoint = head;
        const subscribe = (): Subscription =>
          store.subscribeToAll({
            from: checkpoint,
            batchSize: 50,
            pollIntervalMs: 10,
            onEvents: async (events) => {
              delivered.push(...events);
              checkpoint = events[events.length - 1].position;
            },
          });

        let sub = subscribe();
        const writer = async (w: number) => {
          for (let round = 0; round < ROUNDS; round += 1) {
            if (round % 3 === 2) {
              // An optimistic writer on a stream every writer touches.
              for (;;) {
                const current = (await store.readStream(stream('shared'))).length - 1;
                const e = event('E', { w, round });
                try {
                  await store.appendToStream(stream('shared'), [e], { expectedVersion: current });
                  written.add(e.eventId);
                  break;
                } catch (error) {
                  if (!(error instanceof ConcurrencyError)) throw error;
                  conflicts += 1;
                }
              }
            } else {
              const batches = [0, 1, 2].map((k) => ({
                streamId: stream((w * 7 + round + k) % 20),
                events: [event('E', { w, round }), event('E', { w, round })],
              }));
              const result = await store.appendMany(batches);
              expect(result.duplicates).toBe(0);
              for (const b of batches) for (const e of b.events) written.add(e.eventId);
            }
          }
        };
        const writing = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

        // Restart the subscriber from its checkpoint while the writers are busy.
        await eventually(() => (ours(delivered).length >= 20 ? true : undefined), {
          what: 'first deliveries',
        });
        await sub.stop();
        sub = subscribe();
        await writing;
        try {
          await eventually(() => (ours(delivered).length >= written.size ? true : undefined), {
            what: 'all events delivered',
          });
        } finally {
          await sub.stop();
        }

        const mine = ours(delivered);
        const ids = mine.map((e) => e.eventId);
        expect(new Set(ids).size).toBe(ids.length); // exactly once
        expect(new Set(ids)).toEqual(written);
        assertIncreasing(delivered.map((e) => e.position));
        expect(ours(await readAllAfter(head)).map((e) => e.eventId)).toEqual(ids);
        // Per-stream versions are gap-free and follow the global order.
        const byStream = new Map<string, number[]>();
        for (const e of mine)
          byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.streamVersion]);
        for (const versions of byStream.values()) {
          expect(versions).toEqual(versions.map((_, i) => i));
        }
        expect(conflicts).toBeGreaterThanOrEqual(0);
      });
    });
  });
}

/** A synthetic event: no identifiers, as everywhere past the ingest edge. */
export function event(type: string, data: Record<string, unknown> = {}): EventToAppend {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: { receivedAt: '2024-01-01T00:00:00.000Z' },
  };
}

function assertIncreasing(positions: Position[]): void {
  for (let i = 1; i < positions.length; i += 1) {
    if (!(positions[i - 1] < positions[i])) {
      throw new Error(`positions out of order at ${i}: ${positions[i - 1]} then ${positions[i]}`);
    }
  }
}
