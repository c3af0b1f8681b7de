import {
  consumerPositionStore,
  listDataLoss,
  resolveDataLossIncident,
} from '@linkage/ingest-store';
import { eventually } from '@linkage/testing';
import { openKafkaWriterRig, type KafkaWriterRig } from '../../../test/fixtures/kafka-writer-rig';
import { IngestHealthCheck, ingestRecords, IngestRunFailedError } from '../../ingest/src';
import { mixedExtract } from '../../ingest/src/testing/ingest-fixtures';
import { startEventWriter, type EventWriter } from './event-writer';

/**
 * A gap that is not an out-of-range offset: the group's offset on one partition is moved one
 * message past where the event writer stands (as an offset reset, a compaction or a deleted
 * segment would), on the kcat mock broker. The writer stops instead of skipping, fails the run
 * `data_loss` with counts that claim nothing the store does not hold, and `/health` turns
 * unhealthy; once an operator resolves the incident, the writer consumes again by itself and
 * `/health` returns to ok.
 */
describe('event writer: a gap in a partition is data loss (Kafka mock broker)', () => {
  let rig: KafkaWriterRig;
  let writer: EventWriter | undefined;

  const lines = (extract: { lines: string[] }) =>
    (async function* () {
      for (const [i, input] of extract.lines.entries()) yield { input, line: i + 1 };
    })();

  beforeAll(async () => {
    // A fixed key: the same pseudonyms, so the same partitions, on every run of the test.
    rig = await openKafkaWriterRig({ key: Buffer.alloc(32, 7) });
  });

  afterAll(async () => {
    await writer?.stop();
    await rig?.close();
  });

  it('stops, fails the run with its counts, turns /health unhealthy, and resumes once resolved', async () => {
    const { harness, group, topic, admin, logLines, writerTransport } = rig;
    // A first writer group stores a first run, then stops.
    const firstGroup = `${group}-first`;
    writer = await startEventWriter({
      ...harness.deps,
      transport: writerTransport,
      groupId: firstGroup,
    });
    const first = await ingestRecords(
      lines(mixedExtract(10, { seed: 1, bad: false })),
      { ...harness.deps, writerGroupId: firstGroup },
      { source: 'cipha', origin: 'http' },
    );
    expect(first.status).toBe('stored');
    await writer.stop();
    writer = undefined;

    // A second run publishes while no writer runs (generous: group joins are slow under load).
    const deps = { ...harness.deps, writerGroupId: group, waitTimeoutMs: 120_000 };
    const health = new IngestHealthCheck(deps, 600_000);
    const extract = mixedExtract(30, { seed: 2, bad: false });
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

    // The writer's group stands where the first one stopped (its recorded positions and its
    // committed offsets: a fresh group, so no member of the first has to leave it first),
    // except on one partition with at least two new messages, where its offset was moved one
    // message on behind its back (as an offset reset, a compaction or a deleted segment would).
    const store = consumerPositionStore(harness.db.sql);
    const positions = await store.load(firstGroup, topic);
    for (const [partition, next] of positions) await store.save(group, topic, partition, next);
    const ends = await admin.fetchTopicOffsets(topic);
    const target = ends
      .map((p) => ({
        partition: p.partition,
        at: positions.get(p.partition),
        high: BigInt(p.high),
      }))
      .filter((p) => p.at !== undefined && p.high - p.at! >= 2n)
      .sort((a, b) => a.partition - b.partition)[0];
    expect(target).toBeDefined();
    const at = target.at!;
    const member = rig.consumer({
      groupId: group,
      sessionTimeout: 6000,
      rebalanceTimeout: 6000,
      heartbeatInterval: 500,
    });
    const joined = new Promise((resolve) => member.on(member.events.GROUP_JOIN, resolve));
    await member.connect();
    await member.subscribe({ topic, fromBeginning: false });
    await member.run({ autoCommit: false, eachBatch: async () => undefined });
    await joined;
    member.pause([{ topic }]);
    await member.commitOffsets(
      [...positions].map(([partition, next]) => ({
        topic,
        partition,
        offset: (partition === target.partition ? next + 1n : next).toString(),
      })),
    );
    await member.disconnect();

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
    });
    // What the run reports stored is exactly what the store holds of it.
    const [indexed] = await harness.db.sql<{ n: number }[]>`
      select count(*)::int as n from ingest.linkage_index
      where ingest_run_id = ${failed.summary.ingestRunId}`;
    expect(failed.summary.accepted).toBeLessThanOrEqual(indexed.n);
    // The skipped message was never handled: the run cannot have stored all it published.
    expect(failed.summary.accepted + failed.summary.duplicates).toBeLessThan(
      failed.summary.published,
    );

    const [incident] = await listDataLoss(harness.db.sql);
    expect(incident).toMatchObject({
      consumer: 'event-writer',
      groupId: group,
      topic,
      partition: target.partition,
      expectedOffset: at.toString(),
      firstOffset: (at + 1n).toString(),
      lost: 1,
      reason: 'gap',
      resolvedAt: null,
    });
    expect(incident.runsFailed).toBeGreaterThanOrEqual(1);
    expect(await listDataLoss(harness.db.sql)).toHaveLength(1);
    expect(writer.status()).toMatchObject({ state: 'data_loss', healthy: false });
    const unhealthy = await health.check();
    expect(unhealthy.status).toBe('unhealthy');
    expect(unhealthy.problems).toEqual(
      expect.arrayContaining(['data_loss', 'data_loss:event-writer']),
    );
    expect(logLines.join('')).toContain('messages lost; consumer stopped until an operator acts');

    // The operator accepts the loss: the running writer consumes again, /health returns to ok.
    await resolveDataLossIncident(harness.db.sql, incident.id, {
      reason: 'accepted_loss',
      by: 'operator',
    });
    const healed = await eventually(
      async () => {
        const h = await health.check();
        const running = writer?.status().state === 'running';
        return running && h.status === 'ok' && h.eventWriter.lag === 0 ? h : undefined;
      },
      { what: '/health ok and the writer caught up after the resolution', timeoutMs: 60_000 },
    );
    expect(healed.dataLoss).toEqual([]);
    expect(writer.status()).toMatchObject({ state: 'running', healthy: true, dataLoss: null });
    expect(logLines.join('')).toContain('data-loss incident resolved; consuming again');
    // Everything but the one skipped message is stored (it may have been a resend).
    const [after] = await harness.db.sql<{ n: number }[]>`
      select count(*)::int as n from ingest.linkage_index
      where ingest_run_id = ${failed.summary.ingestRunId}`;
    expect(after.n).toBeGreaterThanOrEqual(extract.valid - 1);
    expect(after.n).toBeLessThanOrEqual(extract.valid);
    expect(await listDataLoss(harness.db.sql)).toEqual([]);
    expect(await listDataLoss(harness.db.sql, { all: true })).toEqual([
      expect.objectContaining({
        id: incident.id,
        resolution: 'accepted_loss',
        resolvedBy: 'operator',
      }),
    ]);
  }, 300_000);
});
