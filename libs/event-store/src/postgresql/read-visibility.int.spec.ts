import { ConfigurationError } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase, eventually, idleInTransaction } from '@linkage/testing';
import { event } from '../contract/event-store.contract';
import { PostgresqlEventStore } from './postgresql-event-store';

/**
 * Stalls made visible, against real PostgreSQL: a session left idle in transaction (holding a
 * transaction id) in the same database holds every subscriber back; the store says how many
 * events it holds back and for how long, and refuses to start on stored transaction ids that
 * are ahead of the server's (a dump restored into another server).
 */
describe('postgresql event store: what an open transaction holds back', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_es_vis');
    db = await openDatabase({ url: fresh.url, max: 4 });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
    await fresh.drop();
  });

  const idle = () => idleInTransaction(fresh.url);

  it('reports nothing held back and no horizon age when no transaction is open', async () => {
    await store.appendToStream('calm', [event('E', { n: 0 })]);
    // Polled: autovacuum's ANALYZE of a new table briefly holds a transaction id here too.
    const calm = await eventually(async () => {
      const v = await store.visibility();
      return v.heldBackEvents === 0 && v.horizonAgeSeconds === 0 ? v : undefined;
    });
    expect(calm).toEqual({ heldBackEvents: 0, horizonAgeSeconds: 0 });
    expect(await store.awaitVisible(0)).toBe(true);
  });

  it('counts the events an idle-in-transaction session holds back, and how long it has been open', async () => {
    const head = await store.headPosition();
    const blocker = await idle();
    try {
      const committed = [1, 2, 3].map((n) => event('E', { n }));
      for (const e of committed) await store.appendToStream(`held-${e.data.n}`, [e]);
      // Committed yet invisible to readers: the visible count alone would read 0.
      expect(await store.countAfter(head)).toBe(0);
      const held = await eventually(async () => {
        const v = await store.visibility();
        return v.horizonAgeSeconds >= 0.2 ? v : undefined;
      });
      expect(held.heldBackEvents).toBe(3);
      expect(held.oldestHeldBackAt).toBeInstanceOf(Date);
      // Waiting for visibility gives up and says so rather than pretending to be done.
      expect(await store.awaitVisible(50)).toBe(false);
    } finally {
      await blocker.end();
    }
    expect(await store.awaitVisible(5_000)).toBe(true);
    const after = await eventually(async () => {
      const v = await store.visibility();
      return v.heldBackEvents === 0 && v.horizonAgeSeconds === 0 ? v : undefined;
    });
    expect(after).toEqual({ heldBackEvents: 0, horizonAgeSeconds: 0 });
    expect(await store.countAfter(head)).toBe(3);
  });

  it('refuses to start when stored transaction ids are ahead of the server (dump and restore)', async () => {
    const other = await createFreshDatabase('linkage_es_restored');
    const restored = await openDatabase({ url: other.url, max: 2 });
    const restoredStore = new PostgresqlEventStore(restored.sql);
    try {
      await restoredStore.init();
      // As a restore into a server with a lower counter leaves it: a stored id from the future.
      await restored.sql`
        insert into event_store.events
          (event_id, stream_id, stream_version, type, schema_version, data, transaction_id)
        values (gen_random_uuid(), 'restored', 0, 'E', 1, '{}'::jsonb,
                ((pg_current_xact_id()::text::bigint + 1000000)::text)::xid8)`;
      const refusal = await restoredStore.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(ConfigurationError);
      expect(refusal).toMatchObject({ detail: { reason: 'transaction_ids_ahead_of_server' } });
      expect((refusal as Error).message).toMatch(
        /holds transaction ids up to \d+, ahead of this server's \d+.*docs\/OPERATIONS\.md/,
      );
    } finally {
      await restoredStore.close();
      await restored.close();
      await other.drop();
    }
  });
});
