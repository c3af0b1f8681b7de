import { SOURCES, type Source } from '@linkage/contracts';
import {
  rawTopicFor,
  startSupervisedConsumer,
  type ConsumerStatus,
  type SupervisedConsumer,
} from '@linkage/transport';
import { ingestRecords, type IngestDependencies, type RawRecord } from '../pipeline/ingest-run';
import { ensureIngestSchema } from '../storage/ingest-schema';
import { consumerPositionStore, recordDataLoss, unresolvedLossOf } from '../storage/data-loss';
import { rawMessageRecord } from './raw-message-record';
import { applyRawRetention, rawRetentionMsFromEnv } from './raw-topic-retention';

/**
 * The consumer group reading a raw topic: one group per topic. (One group for both topics,
 * with members subscribed to different topics, let kafkajs assign a member partitions of the
 * topic it does not read, which were then never read.)
 */
export function rawIngestGroup(source: Source): string {
  return `ingest-raw-${source}`;
}

export interface RawTopicConsumers {
  status(): ConsumerStatus[];
  stop(): Promise<void>;
}

/**
 * Consumes the raw topics that source systems publish to (`ingest.raw-<source>.v1`, one NDJSON
 * record per message). Each batch is one ingest run; its offsets are committed only once the
 * event writer has stored the batch, so a failure or crash re-ingests it (a no-op for what was
 * stored). A failed batch is retried by subscribing again with backoff; lost raw messages stop
 * the consumer and are recorded as a data-loss incident (see `/health`).
 */
export async function startRawTopicConsumers(
  deps: IngestDependencies,
  sources: readonly Source[] = SOURCES,
  options: {
    stallAfterMs?: number;
    lagIntervalMs?: number;
    initialBackoffMs?: number;
    /** Retention of the raw topics (default `LINKAGE_RAW_RETENTION_HOURS`, 72 h; 0: leave). */
    retentionMs?: number;
  } = {},
): Promise<RawTopicConsumers> {
  const { retentionMs = rawRetentionMsFromEnv(), ...supervision } = options;
  const consumers: SupervisedConsumer[] = [];
  const log = deps.logger.child({ component: 'raw-topic-consumer' });
  await ensureIngestSchema(deps.db.sql);
  for (const source of sources) {
    const topic = rawTopicFor(source, deps.topicPrefix);
    await deps.transport.ensureTopics([topic]);
    await applyRawRetention(deps.transport, [topic], retentionMs, log);
    consumers.push(
      await startSupervisedConsumer({
        ...supervision,
        transport: deps.transport,
        name: `raw-${source}`,
        topic,
        groupId: rawIngestGroup(source),
        fromBeginning: true,
        logger: log,
        blockedBy: await unresolvedLossOf(deps.db.sql, `raw-${source}`),
        stillBlocked: async () => (await unresolvedLossOf(deps.db.sql, `raw-${source}`)) !== null,
        // Positions kept in the database find gaps across restarts (a Kafka log only: the
        // in-process log starts again at 0 in every process).
        positions: deps.transport.kind === 'kafka' ? consumerPositionStore(deps.db.sql) : undefined,
        eachBatch: async (messages) => {
          const records: RawRecord[] = messages.map(rawMessageRecord);
          const summary = await ingestRecords(toAsync(records), deps, {
            source,
            origin: 'raw-topic',
          });
          log.info(
            {
              records: summary.records,
              accepted: summary.accepted,
              rejected: summary.rejected,
              rejectedByReason: summary.rejectedByReason,
            },
            'raw batch ingested',
          );
        },
        onDataLoss: (loss) =>
          recordDataLoss(deps.db.sql, `raw-${source}`, loss, { failRuns: false }),
      }),
    );
  }
  return {
    status: () => consumers.map((c) => c.status()),
    stop: async () => void (await Promise.all(consumers.map((c) => c.stop()))),
  };
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
