import { eventually } from '@linkage/testing';
import { openKafkaWriterRig, type KafkaWriterRig } from '../../../test/fixtures/kafka-writer-rig';
import { openDataLoss, resolveDataLoss } from '@linkage/ingest-store';
import { IngestHealthCheck, ingestRecords, IngestRunFailedError } from '../../ingest/src';
import { mixedExtract } from '../../ingest/src/testing/ingest-fixtures';
import { startEventWriter, type EventWriter } from './event-writer';

/**
 * Canonical events the event writer can no longer read (its group's offset is out of range on
 * the kcat mock broker, as after retention deleted them unread): the writer stops instead of
 * skipping, the run fails `data_loss` with counts that claim nothing the store does not hold,
 * and `/health` turns unhealthy.
 */
describe('event writer: offset out of range is data loss (Kafka mock broker)', () => {
  let rig: KafkaWriterRig;
  let writer: EventWriter | undefined;

  beforeAll(async () => {
    rig = await openKafkaWriterRig();
  });

  afterAll(async () => {
    await writer?.stop();
    await rig?.close();
  });

  it('fails the run loudly, reports only what was stored, and turns /health unhealthy', async () => {
    const { harness, group, topic, admin, logLines, writerTransport } = rig;
    const extract = mixedExtract(10, { seed: 8, bad: false });
    const health = new IngestHealthCheck({ ...harness.deps, writerGroupId: group }, 60_000);
    expect((await health.check()).status).toBe('ok');

    // The run publishes; no writer runs yet.
    const run = ingestRecords(
      (async function* () {
        for (const [i, input] of extract.lines.entries()) yield { input, line: i + 1 };
      })(),
      harness.deps,
      { source: 'cipha', origin: 'http' },
    ).then(
      (summary) => (settled = { summary, error: undefined }),
      (error: unknown) => (settled = { summary: undefined, error }),
    );
    let settled: { summary: unknown; error: unknown } | undefined;
    await eventually(
      async () => {
        if (settled) throw new Error(`the run ended early: ${String(settled.error)}`);
        const [row] = await harness.db.sql<{ n: number }[]>`
          select count(*)::int as n from ingest.ingest_runs where status = 'published'`;
        return row.n === 1 ? true : undefined;
      },
      { what: 'the run published' },
    );
    // The group's committed offsets now point past the end of every partition (committed by
    // a member of the group: the mock broker does not take the admin API's offset commit).
    const ends = await admin.fetchTopicOffsets(topic);
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
    // Paused: a fetch of its own would find the offsets out of range and reset them.
    member.pause([{ topic }]);
    await member.commitOffsets(
      ends.map((p) => ({ topic, partition: p.partition, offset: String(BigInt(p.high) + 1000n) })),
    );
    await member.disconnect();

    writer = await startEventWriter({
      ...harness.deps,
      transport: writerTransport,
      groupId: group,
    });
    const { summary, error } = await run;
    expect(summary).toBeUndefined();
    expect(error).toBeInstanceOf(IngestRunFailedError);
    const failed = error as IngestRunFailedError;
    expect(failed.code).toBe('data_loss');
    expect(failed.summary).toMatchObject({
      status: 'failed',
      failure: 'data_loss',
      records: extract.lines.length,
      published: extract.valid + extract.resent,
      accepted: 0,
      duplicates: 0,
    });
    // Nothing reported stored that is not, and nothing was stored past the loss.
    const [indexed] = await harness.db.sql<{ n: number }[]>`
      select count(*)::int as n from ingest.linkage_index`;
    expect(indexed.n).toBe(0);
    expect(await harness.events()).toHaveLength(0);
    const [row] = await harness.db.sql<{ status: string; failure: string; accepted: number }[]>`
      select status, failure, accepted::int from ingest.ingest_runs`;
    expect(row).toEqual({ status: 'failed', failure: 'data_loss', accepted: 0 });

    expect(writer.status()).toMatchObject({
      state: 'data_loss',
      healthy: false,
      dataLoss: { topic, reason: 'offset_out_of_range' },
    });
    const h = await health.check();
    expect(h.status).toBe('unhealthy');
    expect(h.problems).toEqual(expect.arrayContaining(['data_loss', 'data_loss:event-writer']));
    expect(h.dataLoss).toEqual([
      expect.objectContaining({ consumer: 'event-writer', topic, runsFailed: 1 }),
    ]);
    expect(logLines.join('')).toContain('consumer group lost messages');

    // Started again, it does not carry on as if nothing happened (kafkajs has moved the
    // group's offset): it stays stopped until an operator resolves the loss.
    await writer.stop();
    writer = await startEventWriter({
      ...harness.deps,
      transport: writerTransport,
      groupId: group,
    });
    expect(writer.status().state).toBe('data_loss');
    expect((await health.check()).status).toBe('unhealthy');
    expect(await harness.events()).toHaveLength(0);
    expect(await resolveDataLoss(harness.db.sql, 'event-writer')).toBe(1);
    expect((await openDataLoss(harness.db.sql)).length).toBe(0);
  }, 120_000);
});
