import { randomBytes } from 'node:crypto';
import { metricsRegistry } from '@linkage/observability';
import {
  createInProcessTransport,
  createKafkaTransport,
  rawTopicFor,
  type Transport,
} from '@linkage/transport';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import { IngestHealthCheck } from '../health/ingest-health';
import { capturedLogger } from '../testing/ingest-fixtures';
import { startRawTopicConsumers, type RawTopicConsumers } from './raw-topic-consumer';
import { applyRawRetention, rawRetentionMsFromEnv, rawTopicRetention } from './raw-topic-retention';
import { requireKafkaBrokers } from '@linkage/testing';

const brokers = requireKafkaBrokers();

/**
 * Short retention on the raw identifiable topics. The kcat mock broker cannot set topic
 * configs (kafkajs finds no controller broker in its metadata), so what is tested on it is that
 * the refusal is reported, never silent: a warning with the topic, the reason and the command to
 * run on the broker, a metric at 0 and `/health`. A real broker is asked the same way
 * (AlterConfigs, then DescribeConfigs to read it back); that path is not testable here.
 */
describe('raw topic retention (Kafka mock broker)', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const saved = process.env.LINKAGE_RAW_RETENTION_HOURS;
  let harness: IngestHarness;
  let transport: Transport;
  let consumers: RawTopicConsumers | undefined;

  afterAll(async () => {
    if (saved === undefined) delete process.env.LINKAGE_RAW_RETENTION_HOURS;
    else process.env.LINKAGE_RAW_RETENTION_HOURS = saved;
    await consumers?.stop();
    await harness?.close();
    await transport?.close();
  });

  it('reports the broker refusing the retention of a raw topic: warning, metric, /health', async () => {
    const { logger, lines } = capturedLogger();
    transport = createKafkaTransport({ brokers: brokers.split(','), logger });
    harness = await openIngestHarness({ transport, topicPrefix: prefix, logger });
    const topic = rawTopicFor('cipha', prefix);
    consumers = await startRawTopicConsumers(harness.deps, ['cipha'], { retentionMs: 3_600_000 });

    const [outcome] = rawTopicRetention().filter((r) => r.topic === topic);
    expect(outcome).toMatchObject({ topic, retentionMs: 3_600_000, status: 'refused' });
    expect(outcome.reason).toEqual(expect.any(String));
    const warning = lines.find((l) => l.includes('refused to set the retention'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      topic,
      retentionMs: 3_600_000,
      reason: outcome.reason,
    });
    expect(warning).toContain(`--entity-name ${topic} --add-config retention.ms=3600000`);
    const metric = await metricsRegistry.getSingleMetricAsString(
      'linkage_raw_topic_retention_applied',
    );
    expect(metric).toContain(`linkage_raw_topic_retention_applied{topic="${topic}"} 0`);
    const health = await new IngestHealthCheck(harness.deps, 600_000).check();
    expect(health.rawRetention).toEqual(
      expect.arrayContaining([expect.objectContaining({ topic, status: 'refused' })]),
    );
    // Setting it directly never throws either.
    await expect(transport.setTopicRetention!(topic, 1000)).resolves.toMatchObject({
      status: 'refused',
    });
  }, 120_000);

  it('says applied only when the transport confirms it, and not applicable without a broker', async () => {
    const { logger, lines } = capturedLogger();
    const confirming: Transport = {
      ...createInProcessTransport(),
      setTopicRetention: async (topic, retentionMs) => ({ topic, retentionMs, status: 'applied' }),
    };
    const [applied] = await applyRawRetention(confirming, ['raw-a'], 5000, logger);
    expect(applied.status).toBe('applied');
    expect(lines.join('')).toContain('raw topic retention set');
    expect(
      await metricsRegistry.getSingleMetricAsString('linkage_raw_topic_retention_applied'),
    ).toContain('linkage_raw_topic_retention_applied{topic="raw-a"} 1');

    const [inProcess] = await applyRawRetention(
      createInProcessTransport(),
      ['raw-b'],
      5000,
      logger,
    );
    expect(inProcess.status).toBe('not_applicable');
    const [off] = await applyRawRetention(confirming, ['raw-c'], 0, logger);
    expect(off.status).toBe('not_applicable');
    expect(lines.join('')).not.toContain('refused');
  });

  it('reads LINKAGE_RAW_RETENTION_HOURS, falling back to 72 h on nonsense', () => {
    process.env.LINKAGE_RAW_RETENTION_HOURS = '24';
    expect(rawRetentionMsFromEnv()).toBe(86_400_000);
    process.env.LINKAGE_RAW_RETENTION_HOURS = 'a week';
    expect(rawRetentionMsFromEnv()).toBe(72 * 3_600_000);
    process.env.LINKAGE_RAW_RETENTION_HOURS = '-1';
    expect(rawRetentionMsFromEnv()).toBe(72 * 3_600_000);
    delete process.env.LINKAGE_RAW_RETENTION_HOURS;
    expect(rawRetentionMsFromEnv()).toBe(72 * 3_600_000);
  });
});
