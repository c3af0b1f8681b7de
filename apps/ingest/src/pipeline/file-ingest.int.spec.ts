import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import type { Progress } from '@linkage/observability';
import { loadPostcodeLookup } from '@linkage/reference';
import {
  createFreshDatabase,
  eventually,
  readEntireLogWhenComplete,
  requireKafkaBrokers,
} from '@linkage/testing';
import { createKafkaTransport, TOPICS, topicName, type Transport } from '@linkage/transport';
import { startEventWriter, type EventWriter } from '../../../event-writer/src';
import { listDeadLetters } from '../reports/dead-letters';
import { linkageReport } from '../reports/linkage-report';
import {
  capturedLogger,
  dumpAllTables,
  findIdentifiers,
  identifierNeedles,
  mixedExtract,
  testPseudonymiser,
} from '../testing/ingest-fixtures';
import { runFileIngest } from './run-file-ingest';

const brokers = requireKafkaBrokers();

describe('file ingest through Kafka into PostgreSQL', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const extract = mixedExtract(20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-ingest-'));
  const file = path.join(dir, 'cipha.ndjson');
  fs.writeFileSync(file, extract.lines.join('\n') + '\n');
  const liferoomsFile = path.join(dir, 'liferooms.ndjson');
  fs.writeFileSync(liferoomsFile, extract.liferoomsLines.join('\n') + '\n');
  const { logger, lines: logLines } = capturedLogger();
  const pseudonymiser = testPseudonymiser();
  const postcodes = loadPostcodeLookup();
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let store: EventStore;
  let transport: Transport;
  let writerTransport: Transport;
  let writer: EventWriter;

  beforeAll(async () => {
    fresh = await createFreshDatabase();
    db = await openDatabase({ url: fresh.url });
    store = await openEventStore({ db });
    transport = createKafkaTransport({ brokers: brokers.split(','), logger });
    writerTransport = createKafkaTransport({ brokers: brokers.split(','), logger });
    writer = await startEventWriter({
      transport: writerTransport,
      store,
      db,
      logger,
      topicPrefix: prefix,
    });
  });
  afterAll(async () => {
    await writer?.stop();
    await writerTransport?.close();
    await transport?.close();
    await store?.close();
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ingest = (progress: boolean | Progress = false) =>
    runFileIngest({
      source: 'cipha',
      files: [file],
      transport,
      db,
      logger,
      pseudonymiser,
      postcodes,
      topicPrefix: prefix,
      embeddedWriter: false,
      progress,
      batchSize: 25,
      waitTimeoutMs: 30_000,
    });

  it('stores exactly the valid records and dead-letters each bad one with its reason', async () => {
    const summary = await ingest();
    const badTotal = Object.values(extract.bad).reduce((a, b) => a + b, 0);
    expect(summary).toMatchObject({
      records: extract.lines.length,
      accepted: extract.valid,
      duplicates: extract.resent,
      rejected: badTotal,
      rejectedByReason: extract.bad,
      linked: extract.valid,
      unlinked: 0,
    });
    const letters = await listDeadLetters(db.sql, { source: 'cipha', limit: 1000 });
    expect(letters.map((l) => l.reason).sort()).toEqual(
      Object.entries(extract.bad)
        .flatMap(([reason, n]) => Array<string>(n).fill(reason))
        .sort(),
    );
    for (const l of letters) {
      expect(l.ingestRunId).toBe(summary.ingestRunId);
      expect(l.line).toBeGreaterThan(extract.valid);
    }
  });

  it('links Life Rooms records on NHS number and on the link key, late links as RecordLinked', async () => {
    const summary = await runFileIngest({
      source: 'liferooms',
      files: [liferoomsFile],
      transport,
      db,
      logger,
      pseudonymiser,
      postcodes,
      topicPrefix: prefix,
      embeddedWriter: false,
      progress: false,
      batchSize: 25,
      waitTimeoutMs: 30_000,
    });
    expect(summary).toMatchObject({ accepted: 40, duplicates: 0, rejected: 0 });
    const events = await readEntireLogWhenComplete(store, db.sql);
    // A walk-in either found its person already known (then it is on the person stream) or
    // waited in its unlinked stream until the visit with NHS number linked it; either way its
    // attribution is a RecordLinked decision event.
    const covered = new Set(
      events.filter((e) => e.type === 'RecordLinked').flatMap((e) => e.data.eventIds as string[]),
    );
    const walkIns = events.filter((e) => String(e.data.recordId).startsWith('walkin-'));
    expect(walkIns).toHaveLength(20);
    for (const w of walkIns) {
      expect(covered.has(w.eventId)).toBe(true);
      if (!w.streamId.startsWith('unlinked-')) expect(w.streamId.startsWith('person-')).toBe(true);
    }
    for (const l of events.filter((e) => e.type === 'RecordLinked')) {
      expect(l.streamId).toBe(`person-${String(l.data.personId)}`);
    }
    const report = await linkageReport(db.sql);
    const visits = report.rows.find((r) => r.source === 'liferooms' && r.recordType === 'visit');
    expect(visits).toMatchObject({
      records: 40,
      linkedByNhsNumber: 20,
      linkedByFuzzyMatch: 20,
      unlinked: 0,
    });
  });

  it('stores nothing the second time the same file is ingested', async () => {
    const storedBefore = (await readEntireLogWhenComplete(store, db.sql)).length;
    const reported: number[] = [];
    let total = 0;
    const summary = await ingest({
      setTotal: (t) => (total = t),
      increment: () => undefined,
      update: (value) => reported.push(value),
      stop: () => undefined,
    });
    // Progress counts each byte once: it ends at the file's size, never beyond.
    expect(total).toBe(fs.statSync(file).size);
    expect(reported.at(-1)).toBe(total);
    expect(Math.max(...reported)).toBe(total);
    expect(summary.accepted).toBe(0);
    expect(summary.duplicates).toBe(40 + 1); // 20 people x 2 cipha records, plus the resend
    expect((await readEntireLogWhenComplete(store, db.sql)).length).toBe(storedBefore);
  });

  it('stores every valid cipha record exactly once, one stream per person', async () => {
    const events = (await readEntireLogWhenComplete(store, db.sql)).filter(
      (e) => e.data.source === 'cipha',
    );
    expect(events).toHaveLength(40);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(40);
    expect(new Set(events.map((e) => e.streamId)).size).toBe(20);
    const letters = await listDeadLetters(db.sql, {
      source: 'cipha',
      reason: 'invalid_nhs_number',
      limit: 1000,
    });
    // Idempotent: the same extract ingested twice leaves one dead letter per bad record.
    expect(letters).toHaveLength(1);
    expect(letters.find((l) => l.recordId === 'bad-nhs-1')).toMatchObject({ field: '/nhs_number' });
  });

  it('leaves no identifier in any table, Kafka topic, dead letter or log line', async () => {
    const needles = identifierNeedles(extract.identifiers);
    expect(
      findIdentifiers([...extract.lines, ...extract.liferoomsLines].join('\n'), needles).length,
    ).toBeGreaterThan(0);
    expect(findIdentifiers(await dumpAllTables(fresh.url), needles)).toEqual([]);
    expect(findIdentifiers(logLines.join(''), needles)).toEqual([]);
    const payloads: string[] = [];
    const badTotal = Object.values(extract.bad).reduce((a, b) => a + b, 0);
    const expected = {
      [TOPICS.canonicalEvents]: 2 * (extract.valid + extract.resent) + 40,
      // The second ingest of the same extract adds no dead letter (idempotent).
      [TOPICS.deadLetters]: badTotal,
    };
    for (const topic of [TOPICS.canonicalEvents, TOPICS.deadLetters] as const) {
      const seen: string[] = [];
      const sub = await transport.subscribe({
        topic: topicName(topic, prefix),
        groupId: `scan-${randomBytes(4).toString('hex')}`,
        fromBeginning: true,
        eachBatch: async (messages) => {
          for (const m of messages) seen.push(`${m.key ?? ''} ${m.value.toString()}`);
        },
      });
      await eventually(() => (seen.length >= expected[topic] ? true : undefined), {
        what: `messages on ${topic}`,
      });
      await sub.stop();
      payloads.push(...seen);
    }
    expect(payloads).toHaveLength(expected[TOPICS.canonicalEvents] + expected[TOPICS.deadLetters]);
    expect(findIdentifiers(payloads.join('\n'), needles)).toEqual([]);
  });
});
