/** Topic names (`<context>.<family>.v<n>`), see docs/ARCHITECTURE.md. */
export const TOPICS = {
  rawLiferooms: 'ingest.raw-liferooms.v1',
  rawCipha: 'ingest.raw-cipha.v1',
  canonicalEvents: 'ingest.canonical-events.v1',
  deadLetters: 'ingest.dead-letters.v1',
} as const;

/**
 * The physical name of a topic: `LINKAGE_TOPIC_PREFIX` (or the given prefix) in front, so tests
 * and parallel environments can share one cluster with fresh topics each.
 */
export function topicName(
  name: string,
  prefix: string | undefined = process.env.LINKAGE_TOPIC_PREFIX,
): string {
  return prefix ? `${prefix}${name}` : name;
}

/** The raw topic a source system publishes its records to. */
export function rawTopicFor(source: 'liferooms' | 'cipha', prefix?: string): string {
  return topicName(source === 'liferooms' ? TOPICS.rawLiferooms : TOPICS.rawCipha, prefix);
}
