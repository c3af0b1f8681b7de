import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore, type StoredEvent } from '@linkage/event-store';
import {
  createFreshDatabase,
  eventually,
  exited,
  linkageProcesses,
  requireKafkaBrokers,
} from '@linkage/testing';
import {
  createKafkaTransport,
  rawTopicFor,
  type OutgoingMessage,
  type Transport,
} from '@linkage/transport';
import { startEventWriter, type EventWriter } from '../../../event-writer/src';
import { rawIngestGroup } from './raw-topic-consumer';
import {
  capturedLogger,
  findIdentifiers,
  identifierNeedles,
  mixedExtract,
} from '../testing/ingest-fixtures';

const brokers = requireKafkaBrokers();

/**
 * The raw-topic consumers run in a child process (`linkage serve --services ingest`), which is
 * killed with SIGKILL while both raw topics are being consumed: no shutdown hook, no offset
 * commit, no cleanup. A new process takes over; every record is stored exactly once (counts
 * equal, no event twice), on the kcat mock broker and real PostgreSQL.
 */
describe('raw topic consumers: SIGKILL mid-stream, then a new process (Kafka mock broker)', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const key = randomBytes(32).toString('hex');
  const extract = mixedExtract(1500, { seed: 6, bad: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-sigkill-'));
  const { logger } = capturedLogger();
  const processes = linkageProcesses();
  const stderr = processes.stderr;
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let store: EventStore;
  let sourceSystem: Transport;
  let writerTransport: Transport;
  let writer: EventWriter | undefined;

  const startIngest = (): ChildProcess =>
    processes.start(['serve', '--services', 'ingest', '--ingest-port', '0'], {
      ...process.env,
      DATABASE_URL: fresh.url,
      KAFKA_BROKERS: brokers,
      LINKAGE_TOPIC_PREFIX: prefix,
      LINKAGE_DATA_DIR: dir,
      PSEUDONYMISATION_KEY: key,
      LINKAGE_JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'info',
    });
  const storedBySource = async () => {
    const rows = await db.sql<{ source: string; n: number }[]>`
      select source, count(*)::int as n from ingest.linkage_index group by source`.catch(
      () => [] as { source: string; n: number }[],
    );
    return Object.fromEntries(rows.map((r) => [r.source, r.n])) as Record<string, number>;
  };
  const produce = (source: 'liferooms' | 'cipha', lines: string[]) =>
    sourceSystem.publish(
      rawTopicFor(source, prefix),
      lines.map((value): OutgoingMessage => ({ key: null, value })),
    );

  beforeAll(async () => {
    fresh = await createFreshDatabase();
    db = await openDatabase({ url: fresh.url });
    store = await openEventStore({ db });
    sourceSystem = createKafkaTransport({ brokers: brokers.split(','), logger });
    writerTransport = createKafkaTransport({ brokers: brokers.split(','), logger });
    // The event writer (its default group, on this test's topics) in this process.
    writer = await startEventWriter({
      transport: writerTransport,
      store,
      db,
      logger,
      topicPrefix: prefix,
    });
  });

  afterAll(async () => {
    await processes.stopAll();
    await writer?.stop();
    await sourceSystem?.close();
    await writerTransport?.close();
    await store?.close();
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores every record exactly once after the consuming process is SIGKILLed and replaced', async () => {
    const expected = { cipha: extract.valid, liferooms: extract.liferoomsLines.length };
    const first = startIngest();
    await Promise.all([
      produce('liferooms', extract.liferoomsLines),
      produce('cipha', extract.lines),
    ]);
    // Killed as soon as the first records are stored, the rest unread or in flight.
    const atKill = await eventually(
      async () => {
        const s = await storedBySource();
        return (s.cipha ?? 0) + (s.liferooms ?? 0) > 0 ? s : undefined;
      },
      { what: 'the first records stored', timeoutMs: 120_000, intervalMs: 10 },
    );
    first.kill('SIGKILL');
    await exited(first);
    expect(first.signalCode).toBe('SIGKILL');
    expect((atKill.cipha ?? 0) + (atKill.liferooms ?? 0)).toBeGreaterThan(0);
    // Mid-stream: the dead process had not committed all it was reading (a raw batch is
    // committed only once stored), so the new one must read some of it again.
    const uncommitted =
      (await sourceSystem.lag(rawTopicFor('cipha', prefix), rawIngestGroup('cipha'))).total +
      (await sourceSystem.lag(rawTopicFor('liferooms', prefix), rawIngestGroup('liferooms'))).total;
    expect(uncommitted).toBeGreaterThan(0);

    startIngest();
    const stored = await eventually(
      async () => {
        const s = await storedBySource();
        return s.cipha === expected.cipha && s.liferooms === expected.liferooms ? s : undefined;
      },
      { what: 'both extracts stored by the new process', timeoutMs: 180_000 },
    );
    expect(stored).toEqual(expected);
    // Exactly once in the store too: every event once, none twice.
    const all: StoredEvent[] = [];
    for (;;) {
      const page = await store.readAll({ from: all.at(-1)?.position, maxCount: 5000 });
      if (page.length === 0) break;
      all.push(...page);
    }
    const records = all.filter((e) => e.type !== 'RecordLinked' && e.type !== 'RecordUnlinked');
    expect(new Set(records.map((e) => e.eventId)).size).toBe(records.length);
    expect(records.length).toBe(expected.cipha + expected.liferooms);
    expect(findIdentifiers(stderr.join(''), identifierNeedles(extract.identifiers))).toEqual([]);
  }, 360_000);
});
