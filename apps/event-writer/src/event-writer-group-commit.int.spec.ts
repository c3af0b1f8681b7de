import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import { ensureIngestSchema } from '@linkage/ingest-store';
import { createFreshDatabase, eventually, readEntireLogWhenComplete } from '@linkage/testing';
import {
  createInProcessTransport,
  TOPICS,
  topicName,
  type IncomingMessage,
  type Transport,
} from '@linkage/transport';
import { capturedLogger } from '../../ingest/src/testing/ingest-fixtures';
import { startEventWriter, type EventWriter } from './event-writer';
import { canonicalVisit } from './testing/canonical-message';

const hex = (n: number) => randomBytes(n).toString('hex');

/** The in-process transport, remembering the partition of every message it delivered. */
function recordingTransport(inner: Transport, partitionOf: Map<string, number>): Transport {
  return {
    ...inner,
    subscribe: (sub) =>
      inner.subscribe({
        ...sub,
        eachBatch: (messages: IncomingMessage[]) => {
          for (const m of messages) {
            const { eventId } = JSON.parse(m.value.toString('utf8')) as { eventId: string };
            partitionOf.set(eventId, m.partition);
          }
          return sub.eachBatch(messages);
        },
      }),
  };
}

/**
 * The event writer's group commit (the embedded database's path, `writeTogether`), run here on a
 * PostgreSQL server so that the same scenario can be compared with one transaction per batch.
 */
describe.each([
  { mode: 'one transaction per batch', writeTogether: false },
  { mode: 'batches of several partitions written together', writeTogether: true },
])('event writer: $mode', ({ writeTogether }) => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let store: EventStore;
  let transport: Transport;
  let writer: EventWriter | undefined;
  const partitionOf = new Map<string, number>();
  const prefix = `g${hex(3)}.`;
  const topic = topicName(TOPICS.canonicalEvents, prefix);

  beforeAll(async () => {
    fresh = await createFreshDatabase();
    db = await openDatabase({ url: fresh.url });
    store = await openEventStore({ db });
    await ensureIngestSchema(db.sql);
    transport = recordingTransport(
      createInProcessTransport({ partitions: 4, maxBatchSize: 100 }),
      partitionOf,
    );
  });
  afterEach(async () => {
    await writer?.stop();
    writer = undefined;
  });
  afterAll(async () => {
    await writer?.stop();
    await transport?.close();
    await store?.close();
    await db?.close();
    await fresh?.drop();
  });

  const start = async () => {
    writer = await startEventWriter({
      transport,
      store,
      db,
      logger: capturedLogger().logger,
      topicPrefix: prefix,
      writeTogether,
      ...(writeTogether ? {} : { concurrency: 1 }),
    });
  };
  const newRun = async () => {
    const run = randomUUID();
    await db.sql`insert into ingest.ingest_runs (ingest_run_id, source, origin) values (${run}, 'liferooms', 'file')`;
    return run;
  };
  const publish = (list: ReturnType<typeof canonicalVisit>[]) =>
    transport.publish(
      topic,
      list.map((e) => ({
        key: e.data.personId ?? e.data.linkKey ?? e.eventId,
        value: JSON.stringify(e),
      })),
    );
  const countsOf = (run: string, total: number) =>
    eventually(
      async () => {
        const [row] = await db.sql<{ processed: bigint; accepted: bigint; duplicates: bigint }[]>`
          select processed, accepted, duplicates from ingest.ingest_runs where ingest_run_id = ${run}`;
        return Number(row.processed) >= total ? row : undefined;
      },
      { what: 'the writer to process every message', timeoutMs: 60_000 },
    );

  it('stores every event once, counts exactly, links walk-ins and keeps streams in order', async () => {
    const run = await newRun();
    const people = Array.from({ length: 40 }, () => ({ personId: hex(16), linkKey: hex(16) }));
    const events: ReturnType<typeof canonicalVisit>[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (const p of people) {
        // Walk-ins (keyed by link key) and visits with an NHS number (keyed by person) land on
        // different partitions: a link is decided across partitions.
        events.push(canonicalVisit(null, p.linkKey, run));
        events.push(canonicalVisit(p.personId, p.linkKey, run));
      }
    }
    const resent = events.slice(0, 30);
    // Published before the writer starts: every partition has a batch waiting at once.
    await publish(events);
    await publish(resent);
    await start();

    const counts = await countsOf(run, events.length + resent.length);
    expect(Number(counts.processed)).toBe(events.length + resent.length);
    expect(Number(counts.accepted)).toBe(events.length);
    expect(Number(counts.duplicates)).toBe(resent.length);

    const stored = await readEntireLogWhenComplete(store, db.sql);
    const visits = stored.filter((e) => e.type === 'VisitRecorded');
    expect(visits.map((e) => e.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
    const linkedIds = new Set(
      stored.filter((e) => e.type === 'RecordLinked').flatMap((e) => e.data.eventIds as string[]),
    );
    for (const w of visits.filter((e) => e.data.personId === null)) {
      if (w.streamId.startsWith('unlinked-')) expect(linkedIds.has(w.eventId)).toBe(true);
      else expect(w.streamId).toMatch(/^person-/);
    }
    const [{ unlinked, indexed }] = await db.sql<{ unlinked: bigint; indexed: bigint }[]>`
      select count(*) filter (where linkage = 'unlinked') as unlinked, count(*) as indexed
      from ingest.linkage_index where ingest_run_id = ${run}`;
    expect(Number(unlinked)).toBe(0);
    expect(Number(indexed)).toBe(events.length);
    const byStream = new Map<string, number[]>();
    for (const e of stored)
      byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.streamVersion]);
    for (const versions of byStream.values()) expect(versions).toEqual(versions.map((_, i) => i));

    // Each partition's offset mark is its last offset (every message of the run was counted).
    const marks = await db.sql<{ partition: number; last_offset: bigint }[]>`
      select partition, last_offset from ingest.run_progress
      where ingest_run_id = ${run} and topic = ${topic} order by partition`;
    const delivered = new Map<number, number>();
    for (const p of partitionOf.values()) delivered.set(p, (delivered.get(p) ?? 0) + 1);
    expect(marks.map((m) => m.partition)).toEqual([...delivered.keys()].sort((a, b) => a - b));

    // Which partitions' events each transaction wrote: together, some hold several; apart, one.
    const rows = await db.sql<{ tx: string; event_id: string }[]>`
      select transaction_id::text as tx, event_id::text from event_store.events
      where type = 'VisitRecorded'`;
    const partitionsPerTx = new Map<string, Set<number>>();
    for (const r of rows) {
      const set = partitionsPerTx.get(r.tx) ?? new Set<number>();
      set.add(partitionOf.get(r.event_id)!);
      partitionsPerTx.set(r.tx, set);
    }
    const widest = Math.max(...[...partitionsPerTx.values()].map((s) => s.size));
    if (writeTogether) expect(widest).toBeGreaterThan(1);
    else expect(widest).toBe(1);
  }, 120_000);

  it('a transaction that fails is redelivered whole: nothing lost, nothing counted twice', async () => {
    const run = await newRun();
    // The first linkage-index insert from now on fails (a sequence is not rolled back).
    await db.sql.unsafe(`
      create sequence test_fail_once;
      create function test_fail_first() returns trigger language plpgsql as $$
      begin
        if nextval('test_fail_once') = 1 then raise exception 'injected failure'; end if;
        return null;
      end $$;
      create trigger test_fail_first before insert on ingest.linkage_index
        for each statement execute function test_fail_first();`);
    try {
      const events = Array.from({ length: 200 }, () => canonicalVisit(hex(16), null, run));
      await publish(events);
      await start();
      const counts = await countsOf(run, events.length);
      const [{ calls }] = await db.sql<{ calls: bigint }[]>`
        select last_value as calls from test_fail_once`;
      expect(Number(calls)).toBeGreaterThanOrEqual(2); // it failed, and a later insert passed
      expect(Number(counts.processed)).toBe(events.length);
      expect(Number(counts.accepted)).toBe(events.length);
      expect(Number(counts.duplicates)).toBe(0);
      const [{ stored }] = await db.sql<{ stored: bigint }[]>`
        select count(*) as stored from event_store.events
        where event_id = any(${events.map((e) => e.eventId)}::uuid[])`;
      expect(Number(stored)).toBe(events.length);
      expect(writer!.status().restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await writer?.stop();
      writer = undefined;
      await db.sql.unsafe(`drop trigger test_fail_first on ingest.linkage_index;
        drop function test_fail_first(); drop sequence test_fail_once;`);
    }
  }, 120_000);
});
