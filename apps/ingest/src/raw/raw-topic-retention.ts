import type { Logger } from '@linkage/common';
import { gauge } from '@linkage/observability';
import type { TopicRetention, Transport } from '@linkage/transport';

/** Default retention of the raw (identifiable) topics: long enough to survive a weekend outage. */
export const DEFAULT_RAW_RETENTION_HOURS = 72;

/** `LINKAGE_RAW_RETENTION_HOURS` (default 72) in milliseconds; 0 leaves the broker's setting. */
export function rawRetentionMsFromEnv(): number {
  const raw = process.env.LINKAGE_RAW_RETENTION_HOURS;
  const hours = raw === undefined || raw === '' ? DEFAULT_RAW_RETENTION_HOURS : Number(raw);
  if (!Number.isFinite(hours) || hours < 0) return DEFAULT_RAW_RETENTION_HOURS * 3_600_000;
  return Math.round(hours * 3_600_000);
}

const appliedGauge = gauge(
  'linkage_raw_topic_retention_applied',
  '1 when the short retention of a raw identifiable topic is set on the broker, 0 when refused',
  ['topic'],
);

/** The last outcome per raw topic in this process, for `/health`. */
const outcomes = new Map<string, TopicRetention>();

/** What became of the raw topics' retention (shown on `/health`). */
export function rawTopicRetention(): TopicRetention[] {
  return [...outcomes.values()];
}

/**
 * Asks the broker to keep raw identifiable records only `retentionMs` (they are pseudonymised
 * on arrival; the raw copy is needed only until it is consumed). A broker that refuses is not
 * an error that stops ingest, but it is never silent: a warning names the topic, the reason
 * and how to set it by hand, the metric is 0 and `/health` shows it.
 */
export async function applyRawRetention(
  transport: Transport,
  topics: string[],
  retentionMs: number,
  logger: Logger,
): Promise<TopicRetention[]> {
  const results: TopicRetention[] = [];
  for (const topic of topics) {
    const result: TopicRetention =
      retentionMs <= 0 || !transport.setTopicRetention
        ? { topic, retentionMs, status: 'not_applicable' }
        : await transport.setTopicRetention(topic, retentionMs);
    outcomes.set(topic, result);
    results.push(result);
    if (result.status === 'applied') {
      appliedGauge.set({ topic }, 1);
      logger.info({ topic, retentionMs }, 'raw topic retention set');
    } else if (result.status === 'refused') {
      appliedGauge.set({ topic }, 0);
      logger.warn(
        { topic, retentionMs, reason: result.reason },
        'the broker refused to set the retention of a raw identifiable topic: it keeps the ' +
          `broker default; set it there (kafka-configs --alter --entity-type topics --entity-name ${topic} --add-config retention.ms=${retentionMs})`,
      );
    }
  }
  return results;
}
