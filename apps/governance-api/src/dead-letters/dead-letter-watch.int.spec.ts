import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase } from '@linkage/database';
import { metricsRegistry } from '@linkage/observability';
import { createFreshDatabase, eventually } from '@linkage/testing';
import { createKafkaTransport, type Transport } from '@linkage/transport';
import { createGovernanceApp } from '../create-governance-app';
import { startDeadLetterWatch } from './dead-letter-watch';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) {
  throw new Error('KAFKA_BROKERS is not set: run with `npm test` or `bash infra/test-env.sh`');
}

/** A dead letter exactly as the ingest edge publishes it (ingest-run.ts), redacted. */
const letter = (source: string, field: string, reason: string, line: number) =>
  JSON.stringify({
    source,
    recordId: `r-${line}`,
    line,
    field,
    reason,
    ingestRunId: 'run-1',
    dedupeKey: `${source}|line:${line}|${field}|${reason}`,
  });

/**
 * The governance side's dead-letter watch on NestJS's Kafka microservice transport, against the
 * real Kafka-protocol mock broker: letters published before the group joined and after are each
 * counted by source and reason, an unreadable message is counted as such, and the metric follows.
 */
describe('dead-letter watch (Nest Kafka transport, real broker)', () => {
  const prefix = `t-dlw-${randomUUID()}.`;
  const topic = `${prefix}ingest.dead-letters.v1`;
  let transport: Transport;
  let watch: Awaited<ReturnType<typeof startDeadLetterWatch>> | undefined;

  beforeAll(async () => {
    transport = createKafkaTransport({ brokers: brokers.split(',') });
    await transport.ensureTopics([topic]);
  }, 60_000);
  afterAll(async () => {
    await watch?.close();
    await transport?.close();
  });

  it('counts every letter by source and reason, before and after the group joined', async () => {
    await transport.publish(topic, [
      { key: null, value: letter('liferooms', '/date_of_birth', 'date_in_future', 1) },
      { key: null, value: letter('liferooms', '/date_of_birth', 'date_in_future', 2) },
      { key: null, value: letter('cipha', '/nhs_number', 'invalid_nhs_number', 3) },
      { key: null, value: 'not a dead letter' },
    ]);
    watch = await startDeadLetterWatch({
      brokers: brokers.split(','),
      topicPrefix: prefix,
      groupId: `t-dlw-${randomUUID()}`,
    });
    expect(watch.topic).toBe(topic);
    const before = [
      { source: 'cipha', reason: 'invalid_nhs_number', count: 1 },
      { source: 'liferooms', reason: 'date_in_future', count: 2 },
      { source: 'unknown', reason: 'unreadable_dead_letter', count: 1 },
    ];
    const w = watch;
    await eventually(
      () => (JSON.stringify(w.watch.counts()) === JSON.stringify(before) ? true : undefined),
      { timeoutMs: 60_000, what: 'the letters published before the group joined' },
    );

    await transport.publish(topic, [
      { key: null, value: letter('cipha', '/nhs_number', 'invalid_nhs_number', 4) },
    ]);
    const after = [
      { source: 'cipha', reason: 'invalid_nhs_number', count: 2 },
      { source: 'liferooms', reason: 'date_in_future', count: 2 },
      { source: 'unknown', reason: 'unreadable_dead_letter', count: 1 },
    ];
    await eventually(
      () => (JSON.stringify(w.watch.counts()) === JSON.stringify(after) ? true : undefined),
      { timeoutMs: 60_000, what: 'a letter published while the watch runs' },
    );
    expect(w.watch.counts()).toEqual(after);

    const metric = await metricsRegistry.getSingleMetric('linkage_dead_letters_seen_total')!.get();
    const value = (source: string, reason: string) =>
      metric.values.find((v) => v.labels.source === source && v.labels.reason === reason)?.value;
    expect(value('cipha', 'invalid_nhs_number')).toBe(2);
    expect(value('liferooms', 'date_in_future')).toBe(2);
  }, 150_000);

  it('runs beside the governance API when asked, its count on /metrics, and stops with the app', async () => {
    const prefix2 = `t-dlw-${randomUUID()}.`;
    const topic2 = `${prefix2}ingest.dead-letters.v1`;
    await transport.ensureTopics([topic2]);
    await transport.publish(topic2, [
      { key: null, value: letter('liferooms', '/postcode', 'postcode_invalid', 7) },
    ]);
    const fresh = await createFreshDatabase('linkage_dlw');
    const db = await openDatabase({ url: fresh.url, max: 2 });
    const app = await createGovernanceApp({
      db,
      port: 0,
      jwtSecret: randomBytes(32),
      deadLetterWatch: {
        brokers: brokers.split(','),
        topicPrefix: prefix2,
        groupId: `t-dlw-${randomUUID()}`,
      },
    });
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const line = await eventually(
        async () => {
          const text = await (await fetch(`${url}/metrics`)).text();
          return text
            .split('\n')
            .find((l) =>
              /^linkage_dead_letters_seen_total\{.*source="liferooms".*reason="postcode_invalid"/.test(
                l,
              ),
            );
        },
        { timeoutMs: 60_000, what: 'the letter counted on /metrics' },
      );
      expect(line.trim().endsWith(' 1')).toBe(true);
    } finally {
      await app.close();
      await db.close();
      await fresh.drop();
    }
  }, 150_000);
});
