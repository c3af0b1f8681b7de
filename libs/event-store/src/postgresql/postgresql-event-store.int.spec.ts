import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase, eventually, recordBackend } from '@linkage/testing';
import { describeEventStoreContract, event } from '../contract/event-store.contract';
import type { StoredEvent } from '../event-store.port';
import { PostgresqlEventStore } from './postgresql-event-store';

recordBackend('postgresql', true, 'local PostgreSQL 15');

describeEventStoreContract('postgresql', async () => {
  const fresh = await createFreshDatabase('linkage_es');
  const db = await openDatabase({ url: fresh.url, max: 12 });
  const store = new PostgresqlEventStore(db.sql);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.close();
      await fresh.drop();
    },
  };
});

// The previous append (separate statements), kept for the bench's A/B: the same contract.
describeEventStoreContract('postgresql (append by statements)', async () => {
  const fresh = await createFreshDatabase('linkage_es');
  const db = await openDatabase({ url: fresh.url, max: 12 });
  const store = new PostgresqlEventStore(db.sql, { appendStrategy: 'statements' });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.close();
      await fresh.drop();
    },
  };
});

describe('postgresql event store: a transaction that commits late', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_es');
    db = await openDatabase({ url: fresh.url, max: 6 });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
    await fresh.drop();
  });

  it('orders the global log numerically, not as text (positions 9 then 10 in one transaction)', async () => {
    const events = Array.from({ length: 12 }, (_, n) => event('E', { n }));
    await store.appendToStream('numeric-order', events);
    const all = await store.readAll();
    expect(all.map((e) => e.data.n)).toEqual(events.map((_, n) => n));
    expect(await store.headPosition()).toBe(all[11].position);
  });

  /**
   * Opens a transaction that appends `held` (taking a lower global position than anything
   * appended later) and keeps it open until `finish` is called with commit or rollback.
   */
  async function holdOpen(held: ReturnType<typeof event>, streamId: string) {
    let finish!: (outcome: 'commit' | 'rollback') => void;
    const decided = new Promise<'commit' | 'rollback'>((resolve) => (finish = resolve));
    let appended!: () => void;
    const appendedInside = new Promise<void>((resolve) => (appended = resolve));
    const transaction = db.sql
      .begin(async (tx) => {
        await store.appendManyInTransaction(tx, [{ streamId, events: [held] }]);
        appended();
        if ((await decided) === 'rollback') throw new Error('rolled back on purpose');
      })
      .catch((error: Error) => {
        if (error.message !== 'rolled back on purpose') throw error;
      });
    await appendedInside;
    return { finish, transaction };
  }

  it('holds back later commits until the earlier transaction commits, then delivers both in order', async () => {
    const head = await store.headPosition();
    const delivered: StoredEvent[] = [];
    const sub = store.subscribeToAll({
      from: head,
      pollIntervalMs: 10,
      onEvents: async (events) => {
        delivered.push(...events);
      },
    });
    const late = event('E', { late: true });
    const { finish, transaction } = await holdOpen(late, 'late-1');

    const later = [1, 2, 3, 4, 5].map((n) => event('E', { n }));
    for (const e of later) await store.appendToStream(`later-${e.data.n}`, [e]);
    // Committed, readable by id, yet not part of the global order while the earlier one is open.
    expect(await store.readStream('later-1')).toHaveLength(1);
    expect(await store.readAll({ from: head })).toEqual([]);
    expect(await store.headPosition()).toBe(head);
    expect(await store.countAfter(head)).toBe(0);
    expect(delivered).toEqual([]);

    finish('commit');
    await transaction;
    await eventually(() => (delivered.length >= 6 ? true : undefined), {
      what: 'delivery after commit',
    });
    await sub.stop();
    expect(delivered.map((e) => e.eventId)).toEqual([late, ...later].map((e) => e.eventId));
    // The late event took the lowest sequence number yet still comes first: no gap was skipped.
    const sequence = (p: string) => BigInt(p.split(':')[1]);
    expect(sequence(delivered[0].position) < sequence(delivered[1].position)).toBe(true);
  });

  it('is not held back by a transaction open in another database of the same server', async () => {
    const other = await createFreshDatabase('linkage_es_other');
    const otherDb = await openDatabase({ url: other.url, max: 1 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const hasXid = new Promise<void>((resolve) => (started = resolve));
    const elsewhere = otherDb.sql.begin(async (tx) => {
      await tx`select pg_current_xact_id()`; // takes a transaction id, as a writer would
      started();
      await released;
    });
    try {
      await hasXid;
      const head = await store.headPosition();
      const e = event('E', { elsewhere: true });
      await store.appendToStream('not-held-back', [e]);
      const after = await store.readAll({ from: head });
      expect(after.map((x) => x.eventId)).toEqual([e.eventId]);
    } finally {
      release();
      await elsewhere;
      await otherDb.close();
      await other.drop();
    }
  });

  it('moves on past a transaction that rolls back, delivering only what committed', async () => {
    const head = await store.headPosition();
    const delivered: StoredEvent[] = [];
    const sub = store.subscribeToAll({
      from: head,
      pollIntervalMs: 10,
      onEvents: async (events) => {
        delivered.push(...events);
      },
    });
    const lost = event('E', { lost: true });
    const { finish, transaction } = await holdOpen(lost, 'late-2');
    const kept = event('E', { kept: true });
    await store.appendToStream('kept-1', [kept]);
    expect(await store.readAll({ from: head })).toEqual([]);
    finish('rollback');
    await transaction;
    await eventually(() => (delivered.length >= 1 ? true : undefined), {
      what: 'delivery after rollback',
    });
    await sub.stop();
    expect(delivered.map((e) => e.eventId)).toEqual([kept.eventId]);
    expect(await store.readStream('late-2')).toEqual([]);
  });

  it('appends a large batch across many streams in one call', async () => {
    const batches = Array.from({ length: 1000 }, (_, s) => ({
      streamId: `bulk-${s}`,
      events: [event('E', { s }), event('E', { s })],
    }));
    const result = await store.appendMany(batches);
    expect(result).toMatchObject({ appended: 2000, duplicates: 0 });
    const again = await store.appendMany(batches);
    expect(again).toMatchObject({ appended: 0, duplicates: 2000 });
    expect((await store.readStream('bulk-999')).map((e) => e.streamVersion)).toEqual([0, 1]);
  });
});
