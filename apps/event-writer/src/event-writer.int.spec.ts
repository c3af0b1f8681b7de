import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import { createFreshDatabase, eventually, readEntireLogWhenComplete } from '@linkage/testing';
import { createInProcessTransport, TOPICS, topicName, type Transport } from '@linkage/transport';
import { capturedLogger } from '../../ingest/src/testing/ingest-fixtures';
import { startEventWriter, type EventWriter } from './event-writer';
import { canonicalVisit } from './testing/canonical-message';

const hex = (n: number) => randomBytes(n).toString('hex');

const canonical = canonicalVisit;

describe('event writer: concurrent batches, one transaction each', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let store: EventStore;
  let transport: Transport;
  let writer: EventWriter;
  const prefix = `w${hex(3)}.`;

  beforeAll(async () => {
    fresh = await createFreshDatabase();
    db = await openDatabase({ url: fresh.url });
    store = await openEventStore({ db });
    // Small batches over many partitions: many transactions, two at a time.
    transport = createInProcessTransport({ partitions: 8, maxBatchSize: 40 });
    writer = await startEventWriter({
      transport,
      store,
      db,
      logger: capturedLogger().logger,
      topicPrefix: prefix,
      concurrency: 2,
    });
  });
  afterAll(async () => {
    await writer?.stop();
    await transport?.close();
    await store?.close();
    await db?.close();
    await fresh?.drop();
  });

  it('links every walk-in, counts exactly and keeps each stream in order', async () => {
    const run = randomUUID();
    await db.sql`insert into ingest.ingest_runs (ingest_run_id, source, origin) values (${run}, 'liferooms', 'file')`;
    const people = Array.from({ length: 60 }, () => ({ personId: hex(16), linkKey: hex(16) }));
    const events: ReturnType<typeof canonical>[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (const p of people) {
        // Walk-ins (link key only, keyed by it) and visits with NHS number (keyed by person)
        // land on different partitions: linkage crosses concurrent batches.
        events.push(canonical(null, p.linkKey, run));
        events.push(canonical(p.personId, p.linkKey, run));
      }
    }
    const resent = events.slice(0, 50);
    const topic = topicName(TOPICS.canonicalEvents, prefix);
    const publish = (list: typeof events) =>
      transport.publish(
        topic,
        list.map((e) => ({
          key: e.data.personId ?? e.data.linkKey ?? e.eventId,
          value: JSON.stringify(e),
        })),
      );
    await publish(events);
    await publish(resent);

    const total = events.length + resent.length;
    const counts = await eventually(
      async () => {
        const [row] = await db.sql<{ processed: bigint; accepted: bigint; duplicates: bigint }[]>`
          select processed, accepted, duplicates from ingest.ingest_runs where ingest_run_id = ${run}`;
        return Number(row.processed) >= total ? row : undefined;
      },
      { what: 'the writer to process every message' },
    );
    expect(Number(counts.processed)).toBe(total);
    expect(Number(counts.accepted)).toBe(events.length);
    expect(Number(counts.duplicates)).toBe(resent.length);

    const stored = await readEntireLogWhenComplete(store, db.sql);
    const linkedIds = new Set(
      stored.filter((e) => e.type === 'RecordLinked').flatMap((e) => e.data.eventIds as string[]),
    );
    const walkIns = stored.filter((e) => e.type === 'VisitRecorded' && e.data.personId === null);
    expect(walkIns).toHaveLength(people.length * 3);
    for (const w of walkIns) {
      if (w.streamId.startsWith('unlinked-')) expect(linkedIds.has(w.eventId)).toBe(true);
      else expect(w.streamId).toMatch(/^person-/);
    }
    const [{ unlinked }] = await db.sql<{ unlinked: bigint }[]>`
      select count(*) as unlinked from ingest.linkage_index where linkage = 'unlinked'`;
    expect(Number(unlinked)).toBe(0);
    // Versions of each stream follow the global order, without gaps.
    const byStream = new Map<string, number[]>();
    for (const e of stored)
      byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.streamVersion]);
    for (const versions of byStream.values()) {
      expect(versions).toEqual(versions.map((_, i) => i));
    }
  });
});
