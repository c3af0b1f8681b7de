import { randomBytes } from 'node:crypto';
import { eventually, requireKafkaBrokers } from '@linkage/testing';
import {
  createKafkaTransport,
  rawTopicFor,
  TOPICS,
  topicName,
  type Transport,
} from '@linkage/transport';
import { startEventWriter, type EventWriter } from '../../../event-writer/src';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import {
  capturedLogger,
  dumpAllTables,
  findIdentifiers,
  identifierNeedles,
  mixedExtract,
} from '../testing/ingest-fixtures';
import { startRawTopicConsumers } from './raw-topic-consumer';

const brokers = requireKafkaBrokers();

/**
 * Source systems publish raw records to `ingest.raw-<source>.v1` (fresh topics under a random
 * prefix on the kcat mock broker); the ingest edge consumes them, the event writer stores them,
 * bad ones are dead-lettered. Each client has its own Kafka connection, as in production.
 */
describe('raw topic consumer (Kafka mock broker, real PostgreSQL)', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const extract = mixedExtract(15, { seed: 3 });
  const badTotal = Object.values(extract.bad).reduce((a, b) => a + b, 0);
  const { logger, lines: logLines } = capturedLogger();
  const kafka = () => createKafkaTransport({ brokers: brokers.split(','), logger });
  let harness: IngestHarness;
  let ingestTransport: Transport;
  let writerTransport: Transport;
  let sourceSystem: Transport;
  let writer: EventWriter;
  let consumers: { stop(): Promise<void> };

  const storedCount = async () => (await harness.events()).length;
  const deadLetterCount = async () => (await harness.deadLetters('cipha')).length;
  /** True once runs have read `records` in all and every run is stored. */
  const allRead = async (records: number) => {
    const [row] = await harness.db.sql<{ read: number; open: number }[]>`
      select coalesce(sum(records), 0)::int as read,
             (count(*) filter (where status <> 'stored'))::int as open
      from ingest.ingest_runs`;
    return row.read === records && row.open === 0 ? true : undefined;
  };

  beforeAll(async () => {
    ingestTransport = kafka();
    writerTransport = kafka();
    sourceSystem = kafka();
    harness = await openIngestHarness({ transport: ingestTransport, topicPrefix: prefix, logger });
    writer = await startEventWriter({ ...harness.deps, transport: writerTransport });
    consumers = await startRawTopicConsumers(harness.deps, ['cipha']);
  });

  afterAll(async () => {
    await consumers?.stop();
    await writer?.stop();
    await harness?.close();
    for (const t of [sourceSystem, writerTransport, ingestTransport]) await t?.close();
  });

  it('stores every valid record published to the raw topic and dead-letters each bad one', async () => {
    await sourceSystem.publish(
      rawTopicFor('cipha', prefix),
      extract.lines.map((value) => ({ key: null, value })),
    );
    await eventually(() => allRead(extract.lines.length), {
      what: 'raw records ingested',
      timeoutMs: 30_000,
    });
    expect(await deadLetterCount()).toBe(badTotal);
    const events = await harness.eventsWhenVisible(extract.valid);
    expect(events).toHaveLength(extract.valid);
    expect(new Set(events.map((e) => e.data.recordId))).toEqual(
      new Set(
        extract.lines
          .slice(0, extract.valid)
          .map((l) => (JSON.parse(l) as { record_id: string }).record_id),
      ),
    );
    for (const e of events) {
      expect(e.data.source).toBe('cipha');
      expect(e.streamId).toBe(`person-${String(e.data.personId)}`);
    }
    const letters = await harness.deadLetters('cipha');
    expect(letters.map((l) => l.reason).sort()).toEqual(
      Object.entries(extract.bad)
        .flatMap(([reason, n]) => Array<string>(n).fill(reason))
        .sort(),
    );
    expect(letters.find((l) => l.reason === 'invalid_nhs_number')).toMatchObject({
      recordId: 'bad-nhs-3',
      field: '/nhs_number',
    });
    const runs = await harness.db.sql<{ origin: string; status: string }[]>`
      select origin, status from ingest.ingest_runs`;
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) expect(r).toEqual({ origin: 'raw-topic', status: 'stored' });
  });

  it('publishes the dead letters, redacted, to the dead-letter topic', async () => {
    const seen: Record<string, unknown>[] = [];
    const sub = await sourceSystem.subscribe({
      topic: topicName(TOPICS.deadLetters, prefix),
      groupId: `scan-${randomBytes(4).toString('hex')}`,
      fromBeginning: true,
      eachBatch: async (messages) => {
        for (const m of messages) seen.push(JSON.parse(m.value.toString()));
      },
    });
    try {
      await eventually(() => (seen.length >= badTotal ? true : undefined), {
        what: 'dead letters on the topic',
      });
    } finally {
      await sub.stop();
    }
    expect(seen).toHaveLength(badTotal);
    for (const letter of seen) {
      expect(Object.keys(letter).sort()).toEqual(
        [
          'field',
          'ingestRunId',
          'line',
          'reason',
          'recordId',
          'source',
          'topic',
          'partition',
          'offset',
        ].sort(),
      );
      // Traceable to the raw message it came from.
      expect(letter.topic).toBe(rawTopicFor('cipha', prefix));
      expect(typeof letter.partition).toBe('number');
      expect(String(letter.offset)).toMatch(/^\d+$/);
    }
    const stored = await harness.deadLetters('cipha');
    expect(new Set(stored.map((l) => `${l.topic}/${l.partition}/${l.offset}`)).size).toBe(badTotal);
  });

  it('treats records published again as no-ops', async () => {
    const storedBefore = await storedCount();
    await sourceSystem.publish(
      rawTopicFor('cipha', prefix),
      extract.lines.map((value) => ({ key: null, value })),
    );
    await eventually(() => allRead(2 * extract.lines.length), {
      what: 'the resent records ingested',
      timeoutMs: 30_000,
    });
    expect(await deadLetterCount()).toBe(2 * badTotal);
    expect(await storedCount()).toBe(storedBefore);
    const [totals] = await harness.db.sql<{ accepted: number; duplicates: number }[]>`
      select sum(accepted)::int as accepted, sum(duplicates)::int as duplicates
      from ingest.ingest_runs`;
    expect(totals).toEqual({
      accepted: extract.valid,
      duplicates: extract.resent + extract.valid + extract.resent,
    });
  });

  it('leaves no identifier in any table or log line', async () => {
    const needles = identifierNeedles(extract.identifiers);
    expect(findIdentifiers(await dumpAllTables(harness.url), needles)).toEqual([]);
    expect(findIdentifiers(logLines.join(''), needles)).toEqual([]);
  });
});
