/** The Kafka mock cluster's brokers (`KAFKA_BROKERS`, comma-separated), set by `npm test`. */
export function requireKafkaBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: run with `npm test` (infra/test-env.sh) or `. infra/kafka-mock.sh`',
    );
  }
  return brokers;
}
