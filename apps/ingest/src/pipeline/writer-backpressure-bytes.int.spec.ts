import { randomBytes } from 'node:crypto';
import { listDataLoss } from '@linkage/ingest-store';
import { metricsRegistry } from '@linkage/observability';
import { eventually } from '@linkage/testing';
import { startEventWriter, type EventWriter } from '../../../event-writer/src';
import {
  openKafkaWriterRig,
  type KafkaWriterRig,
} from '../../../../test/fixtures/kafka-writer-rig';
import { mixedExtract } from '../testing/ingest-fixtures';
import { ingestRecords, type IngestDependencies } from './ingest-run';
import {
  backpressureStatus,
  DEFAULT_MAX_WRITER_LAG_BYTES,
  RECORD_OVERHEAD_BYTES,
} from './writer-backpressure';

/** librdkafka's mock cluster keeps 5 MiB per partition and deletes the oldest beyond it. */
const MOCK_PARTITION_BYTES = 5 * 1024 * 1024;

/**
 * Backpressure by size on the kcat mock broker: the broker deletes a partition's oldest messages
 * once it holds more than its retention in bytes, read or not, so the publisher holds back while
 * any one partition holds more than `maxWriterLagBytes` unread by the event writer. Measured on
 * the broker (every unread message read back and its bytes added up), never on the estimate.
 */
describe('backpressure by unread bytes per partition (Kafka mock broker)', () => {
  let rig: KafkaWriterRig;
  let writer: EventWriter | undefined;
  /** Small, so a small extract crosses it; the default is 2 MiB. */
  const BOUND_BYTES = 16 * 1024;
  const BATCH = 10;

  const run = (extractLines: string[], deps: IngestDependencies, signal?: AbortSignal) => {
    let settled: { summary?: unknown; error?: unknown } | undefined;
    const done = ingestRecords(
      (async function* () {
        for (const [i, input] of extractLines.entries()) yield { input, line: i + 1 };
      })(),
      deps,
      { source: 'cipha', origin: 'http', signal },
    ).then(
      (summary) => (settled = { summary }),
      (error: unknown) => (settled = { error }),
    );
    return { done, settled: () => settled };
  };

  /** Bytes per partition of every message of `topic` (key + value + record overhead). */
  const bytesOnBroker = async (
    topic: string,
  ): Promise<{ bytes: Map<number, number>; largest: number }> => {
    const ends = await rig.admin.fetchTopicOffsets(topic);
    const want = ends.reduce((a, p) => a + Number(BigInt(p.high) - BigInt(p.low)), 0);
    const bytes = new Map<number, number>();
    let largest = 0;
    let seen = 0;
    const reader = rig.consumer({
      groupId: `bytes-${randomBytes(4).toString('hex')}`,
      sessionTimeout: 6000,
      rebalanceTimeout: 6000,
      heartbeatInterval: 500,
    });
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ partition, message }) => {
        seen += 1;
        const size =
          RECORD_OVERHEAD_BYTES + (message.key?.length ?? 0) + (message.value?.length ?? 0);
        bytes.set(partition, (bytes.get(partition) ?? 0) + size);
        largest = Math.max(largest, size);
      },
    });
    await eventually(() => (seen >= want ? true : undefined), {
      what: 'every message read back',
      timeoutMs: 120_000,
    });
    await reader.disconnect();
    expect(seen).toBe(want);
    return { bytes, largest };
  };

  beforeAll(async () => {
    rig = await openKafkaWriterRig({ key: Buffer.alloc(32, 5) });
  });

  afterAll(async () => {
    await writer?.stop();
    await rig?.close();
  });

  it('holds the publisher while a partition holds more unread bytes than the bound, then stores every event', async () => {
    const { harness, group, topic } = rig;
    const extract = mixedExtract(40, { seed: 6, bad: false });
    const events = extract.valid + extract.resent;
    const deps: IngestDependencies = {
      ...harness.deps,
      batchSize: BATCH,
      maxWriterLag: 0, // only the byte bound is under test
      maxWriterLagBytes: BOUND_BYTES,
      maxUnstored: 1_000_000,
      writerGroupId: group,
      waitTimeoutMs: 180_000,
    };
    const r = run(extract.lines, deps);
    const waiting = await eventually(
      () => {
        if (r.settled()) throw new Error('the run ended before it was held back');
        const s = backpressureStatus();
        return s.waiting === 1 ? s : undefined;
      },
      { what: 'the publisher held back', timeoutMs: 60_000 },
    );
    expect(waiting).toMatchObject({ maxWriterLagBytes: BOUND_BYTES, waiting: 1 });
    expect(waiting.writerLagBytes).toBeGreaterThan(BOUND_BYTES);
    const [row] = await harness.db.sql<{ status: string; published: number }[]>`
      select status, published::int from ingest.ingest_runs`;
    expect(row.status).toBe('running');

    // On the broker: some partition is over the bound, none by more than one publish, and far
    // from everything is published.
    const { bytes: onBroker, largest } = await bytesOnBroker(topic);
    expect(Math.max(...onBroker.values())).toBeGreaterThan(BOUND_BYTES);
    for (const bytes of onBroker.values()) {
      expect(bytes).toBeLessThanOrEqual(BOUND_BYTES + BATCH * largest);
    }
    const ends = await rig.admin.fetchTopicOffsets(topic);
    const published = ends.reduce((a, p) => a + Number(p.high), 0);
    expect(published).toBeLessThan(events);
    // The default bound plus a whole publish (2,000 records) of events this size, even all on
    // one partition, stays below what the mock broker keeps per partition.
    expect(DEFAULT_MAX_WRITER_LAG_BYTES + 2000 * largest).toBeLessThan(MOCK_PARTITION_BYTES);
    const metric = await metricsRegistry.getSingleMetricAsString('linkage_ingest_writer_lag_bytes');
    expect(metric).toMatch(/^linkage_ingest_writer_lag_bytes [1-9]\d*$/m);

    // The writer comes: the publisher goes on, and every event is stored, counted exactly.
    writer = await startEventWriter({
      ...harness.deps,
      transport: rig.writerTransport,
      groupId: group,
    });
    await r.done;
    const outcome = r.settled()!;
    expect(outcome.error).toBeUndefined();
    expect(outcome.summary).toMatchObject({
      status: 'stored',
      records: extract.lines.length,
      published: events,
      accepted: extract.valid,
      duplicates: extract.resent,
    });
    expect(await harness.eventsWhenVisible(extract.valid)).toHaveLength(extract.valid);
    expect(await listDataLoss(harness.db.sql, { all: true })).toHaveLength(0);
    expect(writer.status().dataLoss).toBeNull();
    expect(writer.status().state).not.toBe('data_loss');
    expect(backpressureStatus().waiting).toBe(0);
    // The time held back is counted once the wait ends (the bench reports it).
    expect(backpressureStatus().waitedMs).toBeGreaterThan(0);
    expect(rig.logLines.join('')).toContain('publisher resumed: the event writer caught up');
    await writer.stop();
    writer = undefined;
  }, 240_000);

  it('without the byte bound the same publisher runs ahead of an absent writer', async () => {
    // The control: the same extract with the bound off publishes everything at once, so it is
    // the bound that held the run above back.
    const { harness } = rig;
    const prefix = `${rig.prefix}off.`;
    const absent = `event-writer-absent-${randomBytes(4).toString('hex')}`;
    const extract = mixedExtract(40, { seed: 6, bad: false });
    const abort = new AbortController();
    const waitsBefore = backpressureStatus().waits;
    const r = run(
      extract.lines,
      {
        ...harness.deps,
        topicPrefix: prefix,
        batchSize: BATCH,
        maxWriterLag: 0,
        maxWriterLagBytes: 0,
        maxUnstored: 1_000_000,
        writerGroupId: absent,
        waitTimeoutMs: 600_000,
      },
      abort.signal,
    );
    await eventually(
      async () => {
        if (r.settled()) throw new Error('the run ended early');
        const rows = await harness.db.sql<{ published: number }[]>`
          select published::int from ingest.ingest_runs where status = 'published'`;
        return rows.length === 1 ? rows[0] : undefined;
      },
      { what: 'the run published everything', timeoutMs: 60_000 },
    ).then((row) => expect(row.published).toBe(extract.valid + extract.resent));
    expect(backpressureStatus().waits).toBe(waitsBefore);
    abort.abort();
    await r.done;
    expect(r.settled()?.error).toBeDefined();
  }, 120_000);
});
