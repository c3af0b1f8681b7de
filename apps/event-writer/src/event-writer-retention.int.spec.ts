import { consumerPositionStore, listDataLoss } from '@linkage/ingest-store';
import { metricsRegistry } from '@linkage/observability';
import { eventually } from '@linkage/testing';
import { partitionFor } from '@linkage/transport';
import { openKafkaWriterRig, type KafkaWriterRig } from '../../../test/fixtures/kafka-writer-rig';
import { IngestHealthCheck, ingestRecords, IngestRunFailedError } from '../../ingest/src';
import { mixedExtract } from '../../ingest/src/testing/ingest-fixtures';
import { startEventWriter, type EventWriter } from './event-writer';

/** librdkafka's mock cluster keeps 5 MiB per partition and deletes the oldest beyond it. */
const MOCK_PARTITION_BYTES = 5 * 1024 * 1024;
/** Partitions of a topic the mock cluster creates on first use. */
const PARTITIONS = 4;

/**
 * What the Kafka pipeline lost at the demo size, made to happen on purpose: the event writer
 * stops while a publisher without backpressure writes more than the broker keeps per partition,
 * so the messages the writer had not read are deleted (size-based retention, as on the kcat mock
 * broker and on any Kafka with `retention.bytes`). kafkajs then finds the group's offset out of
 * range and would reset it in silence; the writer instead stops, records the loss naming topic,
 * partition and the offsets lost, fails the waiting run `data_loss`, and `/health` says so.
 */
describe('event writer: events deleted unread by retention are data loss (Kafka mock broker)', () => {
  let rig: KafkaWriterRig;
  let writer: EventWriter | undefined;

  const lines = (extract: { lines: string[] }) =>
    (async function* () {
      for (const [i, input] of extract.lines.entries()) yield { input, line: i + 1 };
    })();

  beforeAll(async () => {
    // A fixed key: the same pseudonyms, so the same partitions, on every run of the test.
    rig = await openKafkaWriterRig({ key: Buffer.alloc(32, 11) });
  });

  afterAll(async () => {
    await writer?.stop();
    await rig?.close();
  });

  it('stops instead of resetting, records topic, partition and offsets lost, and fails the run', async () => {
    const { harness, group, topic, admin, logLines, writerTransport } = rig;
    // The writer stores a first run on every partition, then stops (its offsets committed).
    writer = await startEventWriter({
      ...harness.deps,
      transport: writerTransport,
      groupId: group,
    });
    const firstExtract = mixedExtract(12, { seed: 4, bad: false });
    const first = await ingestRecords(
      lines(firstExtract),
      { ...harness.deps, writerGroupId: group },
      { source: 'cipha', origin: 'http' },
    );
    expect(first).toMatchObject({ status: 'stored', accepted: firstExtract.valid });
    await writer.stop();
    writer = undefined;
    // Where the writer stood: the positions it recorded (saved before each offset commit, so
    // its committed offsets are not past them; the incident's expected offset is read here).
    const stoodAt = await consumerPositionStore(harness.db.sql).load(group, topic);
    // Every partition has a position, so the loss on any of them names its offsets.
    expect([...stoodAt.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const at of stoodAt.values()) expect(at).toBeGreaterThan(0n);
    const storedBefore = (await harness.eventsWhenVisible(firstExtract.valid)).length;
    expect(storedBefore).toBe(firstExtract.valid);

    // A second run publishes with backpressure off and waits for the store.
    const deps = {
      ...harness.deps,
      writerGroupId: group,
      waitTimeoutMs: 300_000,
      maxWriterLag: 0,
      maxWriterLagBytes: 0,
      maxUnstored: 1_000_000,
    };
    const health = new IngestHealthCheck(deps, 600_000);
    const extract = mixedExtract(30, { seed: 5, bad: false });
    let settled: { summary?: unknown; error?: unknown } | undefined;
    const run = ingestRecords(lines(extract), deps, { source: 'cipha', origin: 'http' }).then(
      (summary) => (settled = { summary }),
      (error: unknown) => (settled = { error }),
    );
    await eventually(
      async () => {
        if (settled) throw new Error('the run ended early');
        const [row] = await harness.db.sql<{ n: number }[]>`
          select count(*)::int as n from ingest.ingest_runs where status = 'published'`;
        return row.n === 1 ? true : undefined;
      },
      { what: 'the second run published', timeoutMs: 60_000 },
    );

    // Another publisher, also without backpressure, writes more than the broker keeps to every
    // partition, in 1 MiB sends: it deletes the oldest message sets, the unread ones included.
    const filler = Buffer.alloc(100 * 1024, 'x');
    const sends = Math.ceil(MOCK_PARTITION_BYTES / (10 * filler.length)) + 1;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      let n = 0;
      while (partitionFor(`filler-${n}`, PARTITIONS) !== partition) n += 1;
      const key = `filler-${n}`;
      for (let send = 0; send < sends; send++) {
        await writerTransport.publish(
          topic,
          Array.from({ length: 10 }, () => ({ key, value: filler })),
        );
      }
    }
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends).toHaveLength(PARTITIONS);
    for (const p of ends) {
      // Each partition now starts past where the writer stood: what it had not read is gone.
      expect(BigInt(p.low)).toBeGreaterThan(stoodAt.get(p.partition)!);
    }

    // The writer comes back: its offsets are out of range.
    writer = await startEventWriter({
      ...harness.deps,
      transport: writerTransport,
      groupId: group,
    });
    await run;
    expect(settled?.summary).toBeUndefined();
    expect(settled?.error).toBeInstanceOf(IngestRunFailedError);
    const failed = settled!.error as IngestRunFailedError;
    expect(failed.code).toBe('data_loss');
    expect(failed.summary).toMatchObject({
      status: 'failed',
      failure: 'data_loss',
      records: extract.lines.length,
      published: extract.valid + extract.resent,
      accepted: 0,
      duplicates: 0,
    });

    const incidents = await eventually(
      async () => {
        const open = await listDataLoss(harness.db.sql);
        return open.length > 0 ? open : undefined;
      },
      { what: 'the loss recorded', timeoutMs: 60_000 },
    );
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    const lowOf = new Map(ends.map((p) => [p.partition, p.low] as const));
    expect(incident).toMatchObject({
      consumer: 'event-writer',
      groupId: group,
      topic,
      reason: 'offset_out_of_range',
      expectedOffset: stoodAt.get(incident.partition)!.toString(),
      firstOffset: lowOf.get(incident.partition),
      runsFailed: 1,
      resolvedAt: null,
    });
    expect(incident.lost).toBe(
      Number(BigInt(lowOf.get(incident.partition)!) - stoodAt.get(incident.partition)!),
    );
    expect(incident.lost).toBeGreaterThan(0);

    // Nothing past the loss was stored: the store holds exactly the first run.
    expect(await harness.events()).toHaveLength(storedBefore);
    expect(writer.status()).toMatchObject({
      state: 'data_loss',
      healthy: false,
      dataLoss: { topic, partition: incident.partition, reason: 'offset_out_of_range' },
    });
    const h = await health.check();
    expect(h.status).toBe('unhealthy');
    expect(h.problems).toEqual(expect.arrayContaining(['data_loss', 'data_loss:event-writer']));
    const metric = await metricsRegistry.getSingleMetricAsString(
      'linkage_consumer_data_loss_total',
    );
    expect(metric).toMatch(
      /linkage_consumer_data_loss_total\{consumer="event-writer",reason="offset_out_of_range"\} [1-9]/,
    );
    // One structured error line names topic, partition, the offsets and how many were lost.
    const lossLine = logLines
      .filter((l) => l.includes('messages lost; consumer stopped until an operator acts'))
      .map((l) => JSON.parse(l) as { loss: Record<string, unknown>; lost: number; level: number });
    expect(lossLine).toHaveLength(1);
    expect(lossLine[0]).toMatchObject({
      level: 50,
      lost: incident.lost,
      loss: {
        topic,
        partition: incident.partition,
        expectedOffset: incident.expectedOffset,
        firstOffset: incident.firstOffset,
        reason: 'offset_out_of_range',
      },
    });
  }, 240_000);
});
