import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore, type StoredEvent } from '@linkage/event-store';
import { loadPostcodeLookup } from '@linkage/reference';
import {
  createFreshDatabase,
  eventually,
  exited,
  linkageProcesses,
  requireKafkaBrokers,
} from '@linkage/testing';
import { createKafkaTransport, type Transport } from '@linkage/transport';
import { runFileIngest } from '../../ingest/src';
import {
  capturedLogger,
  findIdentifiers,
  identifierNeedles,
  mixedExtract,
  testPseudonymiser,
} from '../../ingest/src/testing/ingest-fixtures';

const brokers = requireKafkaBrokers();

describe('event writer killed mid-stream', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const extract = mixedExtract(4000, { bad: false, seed: 7 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-crash-'));
  const file = path.join(dir, 'cipha.ndjson');
  fs.writeFileSync(file, extract.lines.join('\n') + '\n');
  const processes = linkageProcesses();
  const stderr = processes.stderr;
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let store: EventStore;
  let transport: Transport;

  const startWriter = (): ChildProcess =>
    processes.start(['serve', '--services', 'event-writer'], {
      ...process.env,
      DATABASE_URL: fresh.url,
      KAFKA_BROKERS: brokers,
      LINKAGE_TOPIC_PREFIX: prefix,
      PSEUDONYMISATION_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'debug',
    });

  beforeAll(async () => {
    fresh = await createFreshDatabase();
    db = await openDatabase({ url: fresh.url });
    store = await openEventStore({ db });
    transport = createKafkaTransport({ brokers: brokers.split(',') });
  });
  afterAll(async () => {
    await processes.stopAll();
    await transport?.close();
    await store?.close();
    await db?.close();
    await fresh?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and duplicates nothing after SIGKILL and restart', async () => {
    const first = startWriter();
    const { logger } = capturedLogger();
    const ingest = runFileIngest({
      source: 'cipha',
      files: [file],
      transport,
      db,
      logger,
      pseudonymiser: testPseudonymiser(),
      postcodes: loadPostcodeLookup(),
      topicPrefix: prefix,
      embeddedWriter: false,
      progress: false,
      waitTimeoutMs: 90_000,
    });
    const processedAtKill = await eventually(
      async () => {
        const [row] = await db.sql<{ processed: bigint }[]>`
          select processed from ingest.ingest_runs where origin = 'file'`;
        return row && Number(row.processed) > 0 ? Number(row.processed) : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 10, what: 'the writer to store a first batch' },
    );
    first.kill('SIGKILL');
    await exited(first);
    startWriter();
    const summary = await ingest;

    expect(processedAtKill).toBeLessThan(extract.valid + extract.resent);
    expect(summary).toMatchObject({
      accepted: extract.valid,
      duplicates: extract.resent,
      rejected: 0,
    });
    const all: StoredEvent[] = [];
    for (;;) {
      const page = await store.readAll({ from: all.at(-1)?.position, maxCount: 5000 });
      if (page.length === 0) break;
      all.push(...page);
    }
    expect(all).toHaveLength(extract.valid);
    expect(new Set(all.map((e) => e.eventId)).size).toBe(extract.valid);
    expect(findIdentifiers(stderr.join(''), identifierNeedles(extract.identifiers))).toEqual([]);
  }, 120_000);
});
