import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase, eventually, recordBackend } from '@linkage/testing';
import { describeEventStoreContract, event } from '../contract/event-store.contract';
import type { StoredEvent } from '../event-store.port';
import { openEventStore } from '../index';
import { PostgresqlEventStore } from './postgresql-event-store';

recordBackend('postgresql', true, 'local PostgreSQL 15');

describeEventStoreContract('postgresql', async () => {
  const fresh = await createFreshDatabase('linkage_es');
  const db = await openDatabase({ url: fresh.url, max: 12 });
  // The COPY append, what openEventStore uses on a server.
  const store = new PostgresqlEventStore(db.sql, { appendStrategy: 'copy' });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.close();
      await fresh.drop();
    },
  };
});

// The one-call append (the default before the COPY append; still the path of
// appendManyInTransaction): the same contract.
describeEventStoreContract('postgresql (append in one call)', async () => {
  const fresh = await createFreshDatabase('linkage_es');
  const db = await openDatabase({ url: fresh.url, max: 12 });
  const store = new PostgresqlEventStore(db.sql, { appendStrategy: 'one-call' });
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

// The COPY append (the default) on a pool of ONE connection: a COPY the server rejects must
// roll its transaction back and hand the connection back (postgres.js 3.4.9 leaves a rejected
// COPY's writable unsettled, see copy-in.ts), or the next append on this pool would never run.
describe('postgresql event store: the COPY append when the server rejects the COPY', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_es');
    db = await openDatabase({ url: fresh.url, max: 1 });
    store = new PostgresqlEventStore(db.sql, { appendStrategy: 'copy' });
    await store.init();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
    await fresh.drop();
  });

  /** Sessions of this database left in an aborted or open transaction. */
  async function stuckSessions(): Promise<number> {
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and state like 'idle in transaction%'`;
    return row.n;
  }

  it.each([
    ['the last event of the call', 4999],
    ['the first event of the call', 0],
  ])(
    'a stored id as %s (a unique violation) becomes a duplicate; the rest are appended',
    async (_where, at) => {
      const streamId = `copy-dup-${at}`;
      const stored = event('E', { stored: true });
      await store.appendToStream(`${streamId}-elsewhere`, [stored]);
      // 5,000 events (about 1 MB of COPY data, several of the server's insert buffers).
      const events = Array.from({ length: 5000 }, (_, n) =>
        n === at ? stored : event('E', { n, pad: 'x'.repeat(100) }),
      );
      const result = await store.appendMany([{ streamId, events }]);
      expect(result).toMatchObject({ appended: 4999, duplicates: 1 });
      expect(result.streams[0]).toMatchObject({ streamId, nextExpectedVersion: 4998 });
      expect(result.streams[0].duplicates).toEqual([stored.eventId]);
      const read = await store.readStream(streamId);
      expect(read.map((e) => e.streamVersion)).toEqual(read.map((_, v) => v));
      expect(read.map((e) => e.eventId)).toEqual(
        events.filter((e) => e !== stored).map((e) => e.eventId),
      );
      expect(await store.readStream(`${streamId}-elsewhere`)).toHaveLength(1);
      expect(await stuckSessions()).toBe(0);
    },
    60_000,
  );

  it('is what openEventStore appends with on a PostgreSQL server', async () => {
    const opened = await openEventStore({ db });
    expect((opened as PostgresqlEventStore).appendStrategy).toBe('copy');
    await opened.close();
  });

  it('a COPY rejected for its data rejects the append with the server error and writes nothing', async () => {
    const before = await store.headPosition();
    const good = event('E', { n: 1 });
    const bad = { ...event('E', { n: 2 }), eventId: 'not-a-uuid' };
    await expect(
      store.appendMany([{ streamId: 'copy-bad', events: [good, bad] }]),
    ).rejects.toMatchObject({ code: '22P02' });
    expect(await store.readStream('copy-bad')).toEqual([]);
    expect(await store.headPosition()).toBe(before);
    // The version bump was rolled back with the COPY: the next append starts at version 0.
    const next = await store.appendMany([{ streamId: 'copy-bad', events: [good] }]);
    expect(next.streams[0]).toMatchObject({ nextExpectedVersion: 0, appended: [good.eventId] });
    expect(await stuckSessions()).toBe(0);
  }, 60_000);

  it('copies values holding tabs, newlines and backslashes unchanged', async () => {
    const tricky = {
      ...event('Tab\tType', { text: 'a\tb\nc\rd\\e "quoted" \\N', nested: { s: '\\\\' } }),
      metadata: { note: 'line1\nline2\t\\' },
    };
    await store.appendMany([{ streamId: 'copy-tricky\tstream\\', events: [tricky] }]);
    const [read] = await store.readStream('copy-tricky\tstream\\');
    expect(read).toMatchObject({
      eventId: tricky.eventId,
      type: 'Tab\tType',
      data: tricky.data,
      metadata: tricky.metadata,
    });
  }, 60_000);
});
