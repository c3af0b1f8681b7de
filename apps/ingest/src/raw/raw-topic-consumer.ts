import { SOURCES, type Source } from '@linkage/contracts';
import { rawTopicFor, type TransportSubscription } from '@linkage/transport';
import { ingestRecords, type IngestDependencies, type RawRecord } from '../pipeline/ingest-run';
import { errorSummary } from '../../../event-writer/src';

/** The consumer group reading the raw topics. */
export const RAW_INGEST_GROUP = 'ingest-raw';

/**
 * Consumes the raw topics that source systems publish to (`ingest.raw-<source>.v1`, one NDJSON
 * record per message). Each batch is one ingest run; its offsets are committed only once the
 * event writer has stored the batch, so a crash re-ingests it (a no-op for what was stored).
 */
export async function startRawTopicConsumers(
  deps: IngestDependencies,
  sources: readonly Source[] = SOURCES,
): Promise<{ stop(): Promise<void> }> {
  const subs: TransportSubscription[] = [];
  const log = deps.logger.child({ component: 'raw-topic-consumer' });
  for (const source of sources) {
    const topic = rawTopicFor(source, deps.topicPrefix);
    await deps.transport.ensureTopics([topic]);
    subs.push(
      await deps.transport.subscribe({
        topic,
        groupId: RAW_INGEST_GROUP,
        fromBeginning: true,
        eachBatch: async (messages) => {
          const records: RawRecord[] = messages.map((m) => ({ input: m.value.toString('utf8') }));
          const summary = await ingestRecords(toAsync(records), deps, {
            source,
            origin: 'raw-topic',
          });
          log.info(
            { records: summary.records, accepted: summary.accepted, rejected: summary.rejected },
            'raw batch ingested',
          );
        },
        onError: (error) => log.error({ err: errorSummary(error) }, 'raw batch failed'),
      }),
    );
  }
  return { stop: async () => void (await Promise.all(subs.map((s) => s.stop()))) };
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
