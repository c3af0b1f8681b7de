import { randomBytes } from 'node:crypto';
import { eventually, requireKafkaBrokers } from '@linkage/testing';
import {
  createKafkaTransport,
  rawTopicFor,
  type OutgoingMessage,
  type Transport,
} from '@linkage/transport';
import { startEventWriter, type EventWriter } from '../../../event-writer/src';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import { IngestHealthCheck } from '../health/ingest-health';
import { capturedLogger, mixedExtract } from '../testing/ingest-fixtures';
import { startRawTopicConsumers, type RawTopicConsumers } from './raw-topic-consumer';

const brokers = requireKafkaBrokers();

/**
 * Both raw topics fed at once on the kcat mock broker, with real PostgreSQL: every record is
 * stored exactly once, also when the consumers are killed mid-stream and started again, and a
 * consumer whose batches fail recovers with backoff once the cause is gone, while `/health`
 * says it stalled in the meantime.
 */
describe('raw topic consumers: assignment, restart, recovery (Kafka mock broker)', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const writerGroup = `event-writer-${randomBytes(4).toString('hex')}`;
  const { logger } = capturedLogger();
  const kafka = () => createKafkaTransport({ brokers: brokers.split(','), logger });
  let harness: IngestHarness;
  let sourceSystem: Transport;
  let writerTransport: Transport;
  let ingestTransport: Transport;
  let writer: EventWriter;
  let consumers: RawTopicConsumers | undefined;
  /** When true, every publish of the ingest edge fails (a broker or network fault). */
  let faulty = false;

  /** Source records stored, per source (one linkage-index row per stored record). */
  const storedBySource = async () => {
    const rows = await harness.db.sql<{ source: string; n: number }[]>`
      select source, count(*)::int as n from ingest.linkage_index group by source`;
    return Object.fromEntries(rows.map((r) => [r.source, r.n])) as Record<string, number>;
  };
  const produce = (source: 'liferooms' | 'cipha', lines: string[]) =>
    sourceSystem.publish(
      rawTopicFor(source, prefix),
      lines.map((value): OutgoingMessage => ({ key: null, value })),
    );
  const start = async (transport: Transport, options = {}) =>
    startRawTopicConsumers({ ...harness.deps, transport }, ['liferooms', 'cipha'], options);

  beforeAll(async () => {
    sourceSystem = kafka();
    writerTransport = kafka();
    ingestTransport = kafka();
    harness = await openIngestHarness({ transport: ingestTransport, topicPrefix: prefix, logger });
    writer = await startEventWriter({
      ...harness.deps,
      transport: writerTransport,
      groupId: writerGroup,
    });
  });

  afterAll(async () => {
    await consumers?.stop();
    await writer?.stop();
    await harness?.close();
    for (const t of [sourceSystem, writerTransport, ingestTransport]) await t?.close();
  });

  it('stores two extracts produced at once to both raw topics exactly, each topic read by its own group', async () => {
    const extract = mixedExtract(20, { seed: 4, bad: false });
    consumers = await start(ingestTransport);
    await Promise.all([
      produce('liferooms', extract.liferoomsLines),
      produce('cipha', extract.lines),
    ]);
    const expected = { cipha: extract.valid, liferooms: extract.liferoomsLines.length };
    await eventually(
      async () => {
        const s = await storedBySource();
        return s.cipha === expected.cipha && s.liferooms === expected.liferooms ? s : undefined;
      },
      { what: 'both extracts stored', timeoutMs: 60_000 },
    );
    // Each consumer holds every partition of its own topic (no partition left unread).
    const partitions = (await ingestTransport.lag(rawTopicFor('cipha', prefix), 'x')).partitions;
    for (const status of consumers.status()) {
      expect(status.groupId).toMatch(/^ingest-raw-(liferooms|cipha)$/);
      expect(status.assignedPartitions).toEqual(partitions.map((p) => p.partition));
      expect(status.lastProgressAt).not.toBeNull();
    }
    expect(await storedBySource()).toEqual(expected);
  });

  it('stores exactly what was produced when the consumers are killed mid-stream and started again', async () => {
    const before = await storedBySource();
    const extract = mixedExtract(60, { seed: 5, bad: false });
    await Promise.all([
      produce('liferooms', extract.liferoomsLines),
      produce('cipha', extract.lines),
    ]);
    // Killed as soon as something of the new extract is stored, with the rest unread.
    await eventually(
      async () => ((await storedBySource()).cipha > before.cipha ? true : undefined),
      { what: 'the first batch stored', timeoutMs: 60_000 },
    );
    await consumers!.stop();
    await ingestTransport.close();
    ingestTransport = kafka();
    consumers = await start(ingestTransport);
    const expected = {
      cipha: before.cipha + extract.valid,
      liferooms: before.liferooms + extract.liferoomsLines.length,
    };
    await eventually(
      async () => {
        const s = await storedBySource();
        return s.cipha === expected.cipha && s.liferooms === expected.liferooms ? s : undefined;
      },
      { what: 'both extracts stored after the restart', timeoutMs: 60_000 },
    );
    expect(await storedBySource()).toEqual(expected);
  });

  it('reports a consumer whose batches keep failing as stalled, then recovers with backoff', async () => {
    await consumers!.stop();
    const failing: Transport = {
      ...ingestTransport,
      publish: async (topic, messages) => {
        if (faulty) throw Object.assign(new Error('broker unavailable'), { code: 'ECONNRESET' });
        return ingestTransport.publish(topic, messages);
      },
    };
    faulty = true;
    consumers = await start(failing, {
      stallAfterMs: 1500,
      lagIntervalMs: 200,
      initialBackoffMs: 100,
    });
    // The live ingest transport: the harness still holds the one closed by the restart above.
    const health = new IngestHealthCheck(
      { ...harness.deps, transport: ingestTransport, writerGroupId: writerGroup },
      60_000,
    );
    const before = await storedBySource();
    const extract = mixedExtract(10, { seed: 6, bad: false });
    await produce('cipha', extract.lines);
    const unhealthy = await eventually(
      async () => {
        const h = await health.check();
        const failedOnce = h.consumers.some((c) => c.name === 'raw-cipha' && c.restarts > 0);
        // Wait for this consumer's own stall: another consumer's state is not what is tested.
        const ciphaStalled = h.problems.includes('consumer_stalled:raw-cipha');
        return h.status === 'unhealthy' && failedOnce && ciphaStalled ? h : undefined;
      },
      { what: '/health unhealthy while the consumer stalls', timeoutMs: 30_000 },
    );
    expect(unhealthy.problems).toContain('consumer_stalled:raw-cipha');
    const cipha = unhealthy.consumers.find((c) => c.name === 'raw-cipha')!;
    expect(cipha.restarts).toBeGreaterThan(0);
    expect(cipha.lastError).toEqual({ name: 'IngestRunFailedError', code: 'ingest_failed' });
    expect(await storedBySource()).toEqual(before);

    faulty = false;
    await eventually(
      async () =>
        (await storedBySource()).cipha === before.cipha + extract.valid ? true : undefined,
      { what: 'stored once the fault is gone', timeoutMs: 60_000 },
    );
    const healed = await eventually(
      async () => {
        const h = await health.check();
        return h.status === 'ok' ? h : undefined;
      },
      { what: '/health ok again', timeoutMs: 30_000 },
    );
    expect(healed.consumers.find((c) => c.name === 'raw-cipha')?.stalled).toBe(false);
    // The runs the fault cut short ended failed, and the run that stored the extract ends
    // `stored` once it has seen the writer catch up (a moment after the rows appear): none stays
    // running or published.
    const open = await eventually(
      async () => {
        const [row] = await harness.db.sql<{ n: number }[]>`
          select count(*)::int as n from ingest.ingest_runs
          where status in ('running', 'published')`;
        return row.n === 0 ? row.n : undefined;
      },
      { what: 'every run ended', timeoutMs: 30_000 },
    );
    expect(open).toBe(0);
    const [failedRuns] = await harness.db.sql<{ n: number }[]>`
      select count(*)::int as n from ingest.ingest_runs where status = 'failed'`;
    expect(failedRuns.n).toBeGreaterThan(0);
  });
});
