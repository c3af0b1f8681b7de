import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import {
  PostgresqlEventStore,
  transactionalStore,
  type EventStore,
  type StreamBatch,
} from '@linkage/event-store';
import { createFreshDatabase, eventually } from '@linkage/testing';
import { createInProcessTransport, TOPICS, topicName, type Transport } from '@linkage/transport';
import { capturedLogger } from '../../ingest/src/testing/ingest-fixtures';
import { startEventWriter, type EventWriter } from './event-writer';
import { canonicalVisit } from './testing/canonical-message';

const hex = (n: number) => randomBytes(n).toString('hex');

/**
 * With a store that cannot join the writer's transaction (EventStoreDB in production; here the
 * PostgreSQL store on a pool of its own, which the writer treats the same way), the writer still
 * holds its link-key locks while the events are appended: another session cannot take the lock
 * of the batch's link key during `appendMany`.
 */
describe('event writer: link-key locks held across the append for any store', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let storeDb: Database;
  let probe: Database;
  let transport: Transport;
  let writer: EventWriter;
  const prefix = `l${hex(3)}.`;
  const lockFreeDuringAppend: boolean[] = [];
  const linkKey = hex(16);

  beforeAll(async () => {
    fresh = await createFreshDatabase();
    db = await openDatabase({ url: fresh.url, max: 4 });
    storeDb = await openDatabase({ url: fresh.url, max: 4 });
    probe = await openDatabase({ url: fresh.url, max: 1 });
    const inner = new PostgresqlEventStore(storeDb.sql);
    await inner.init();
    // A store that reports, from another session, whether the link key's lock is free.
    const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
      appendMany: async (batches: StreamBatch[]) => {
        const [row] = await probe.sql.begin(
          (tx) => tx<{ free: boolean }[]>`
            select pg_try_advisory_xact_lock(7345002, hashtext(${linkKey}) & 255) as free`,
        );
        lockFreeDuringAppend.push(row.free);
        return inner.appendMany(batches);
      },
    });
    expect(transactionalStore(store, db.sql)).toBeUndefined();
    transport = createInProcessTransport({ partitions: 2, maxBatchSize: 10 });
    writer = await startEventWriter({
      transport,
      store,
      db,
      logger: capturedLogger().logger,
      topicPrefix: prefix,
    });
  });
  afterAll(async () => {
    await writer?.stop();
    await transport?.close();
    for (const d of [probe, storeDb, db]) await d?.close();
    await fresh?.drop();
  });

  it('keeps the lock of the batch link key while appending', async () => {
    const event = canonicalVisit(null, linkKey);
    await transport.publish(topicName(TOPICS.canonicalEvents, prefix), [
      { key: linkKey, value: JSON.stringify(event) },
    ]);
    await eventually(() => (lockFreeDuringAppend.length > 0 ? true : undefined), {
      what: 'the append',
    });
    expect(lockFreeDuringAppend).toEqual([false]);
    const stored = await eventually(async () => {
      const rows = await db.sql`select 1 from event_store.events where event_id = ${event.eventId}`;
      return rows.length === 1 ? rows : undefined;
    });
    expect(stored).toHaveLength(1);
  });
});
