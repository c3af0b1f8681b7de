import { randomBytes } from 'node:crypto';
import { metricsRegistry } from '@linkage/observability';
import { eventually, requireKafkaBrokers } from '@linkage/testing';
import { createKafkaTransport, TOPICS, topicName, type Transport } from '@linkage/transport';
import { startEventWriter, type EventWriter } from '../../../event-writer/src';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import { IngestHealthCheck } from '../health/ingest-health';
import { capturedLogger, mixedExtract } from '../testing/ingest-fixtures';
import { ingestRecords, type IngestDependencies } from './ingest-run';
import { IngestRunFailedError } from './ingest-run-failed';
import { backpressureStatus } from './writer-backpressure';

const brokers = requireKafkaBrokers();

/**
 * Global backpressure on the kcat mock broker: a publisher holds back while the event writer's
 * group (wherever it runs) lags more than the bound, says so (log, metric, `/health`), and goes
 * on once the writer catches up; a writer that never comes ends the run `store_timeout`.
 */
describe('backpressure from the event writer lag (Kafka mock broker)', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const topic = topicName(TOPICS.canonicalEvents, prefix);
  const { logger, lines: logLines } = capturedLogger();
  const kafka = () => createKafkaTransport({ brokers: brokers.split(','), logger });
  let harness: IngestHarness;
  let ingestTransport: Transport;
  let writerTransport: Transport;
  let writer: EventWriter | undefined;
  const BOUND = 25;
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

  beforeAll(async () => {
    ingestTransport = kafka();
    writerTransport = kafka();
    harness = await openIngestHarness({ transport: ingestTransport, topicPrefix: prefix, logger });
  });

  afterAll(async () => {
    await writer?.stop();
    await harness?.close();
    for (const t of [writerTransport, ingestTransport]) await t?.close();
  });

  it('holds the publisher while the writer lags beyond the bound, says so, and resumes when it catches up', async () => {
    const writerGroup = `event-writer-${randomBytes(4).toString('hex')}`;
    const extract = mixedExtract(30, { seed: 7, bad: false });
    const events = extract.valid + extract.resent;
    expect(events).toBeGreaterThan(BOUND + 2 * BATCH);
    const deps: IngestDependencies = {
      ...harness.deps,
      batchSize: BATCH,
      maxWriterLag: BOUND,
      maxUnstored: 1_000_000, // only the global bound is under test
      writerGroupId: writerGroup,
      waitTimeoutMs: 120_000,
    };
    const health = new IngestHealthCheck({ ...harness.deps, writerGroupId: writerGroup }, 600_000);

    const r = run(extract.lines, deps);
    const waiting = await eventually(
      () => {
        if (r.settled()) throw new Error('the run ended before it was held back');
        const s = backpressureStatus();
        return s.waiting === 1 ? s : undefined;
      },
      { what: 'the publisher held back', timeoutMs: 60_000 },
    );
    expect(waiting).toMatchObject({ maxWriterLag: BOUND, waiting: 1 });
    expect(waiting.writerLag).toBeGreaterThan(BOUND);
    // Published so far: over the bound by less than one batch, and far from everything.
    const lag = await ingestTransport.lag(topic, writerGroup);
    expect(lag.total).toBeGreaterThan(BOUND);
    expect(lag.total).toBeLessThanOrEqual(BOUND + BATCH);
    expect(lag.total).toBeLessThan(events);
    const [row] = await harness.db.sql<{ status: string }[]>`
      select status from ingest.ingest_runs`;
    expect(row.status).toBe('running');

    const h = await health.check();
    expect(h.backpressure).toMatchObject({ maxWriterLag: BOUND, waiting: 1 });
    expect(h.backpressure.waitingSince).not.toBeNull();
    const metrics = await metricsRegistry.getSingleMetricAsString(
      'linkage_ingest_backpressure_waiting',
    );
    expect(metrics).toMatch(/^linkage_ingest_backpressure_waiting 1$/m);
    expect(logLines.join('')).toContain(
      'publisher waiting: the event writer lags more than the bound',
    );

    writer = await startEventWriter({
      ...harness.deps,
      transport: writerTransport,
      groupId: writerGroup,
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
    expect(backpressureStatus().waiting).toBe(0);
    expect(logLines.join('')).toContain('publisher resumed: the event writer caught up');
    expect((await health.check()).backpressure.waiting).toBe(0);
    await writer.stop();
    writer = undefined;
  }, 180_000);

  it('ends the run store_timeout, with its counts, when the lagging writer never moves', async () => {
    const absentGroup = `event-writer-absent-${randomBytes(4).toString('hex')}`;
    const extract = mixedExtract(30, { seed: 9, bad: false });
    const r = run(extract.lines, {
      ...harness.deps,
      topicPrefix: `${prefix}timeout.`,
      batchSize: BATCH,
      maxWriterLag: BOUND,
      maxUnstored: 1_000_000,
      writerGroupId: absentGroup,
      waitTimeoutMs: 1500,
    });
    await r.done;
    const { summary, error } = r.settled()!;
    expect(summary).toBeUndefined();
    expect(error).toBeInstanceOf(IngestRunFailedError);
    const failed = error as IngestRunFailedError;
    expect(failed.code).toBe('store_timeout');
    expect(failed.summary.status).toBe('failed');
    expect(failed.summary.published).toBeGreaterThan(BOUND);
    expect(failed.summary.published).toBeLessThanOrEqual(BOUND + BATCH);
    expect(failed.summary.accepted).toBe(0);
    expect(backpressureStatus().waiting).toBe(0);
  }, 120_000);

  it('holds back a run for a backlog it did not publish (the global lag), and ends it aborted when its client goes away', async () => {
    const absentGroup = `event-writer-absent-${randomBytes(4).toString('hex')}`;
    const ownPrefix = `${prefix}abort.`;
    // Another publisher's backlog, which the (absent) writer has not read.
    await ingestTransport.publish(
      topicName(TOPICS.canonicalEvents, ownPrefix),
      Array.from({ length: BOUND + 5 }, (_, i) => ({ key: `k${i}`, value: '{}' })),
    );
    const extract = mixedExtract(30, { seed: 3, bad: false });
    const abort = new AbortController();
    const r = run(
      extract.lines,
      {
        ...harness.deps,
        topicPrefix: ownPrefix,
        batchSize: BATCH,
        maxWriterLag: BOUND,
        maxUnstored: 1_000_000,
        writerGroupId: absentGroup,
        waitTimeoutMs: 600_000,
      },
      abort.signal,
    );
    await eventually(() => (backpressureStatus().waiting === 1 ? true : undefined), {
      what: 'the publisher held back',
      timeoutMs: 60_000,
    });
    abort.abort();
    await r.done;
    const { error } = r.settled()!;
    expect(error).toBeInstanceOf(IngestRunFailedError);
    expect((error as IngestRunFailedError).code).toBe('aborted');
    expect((error as IngestRunFailedError).summary).toMatchObject({
      status: 'aborted',
      published: 0,
    });
    expect(backpressureStatus().waiting).toBe(0);
  }, 120_000);
});
