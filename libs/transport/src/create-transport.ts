import type { Logger } from '@linkage/common';
import { createInProcessTransport } from './in-process/in-process-transport';
import { createKafkaTransport } from './kafka/kafka-transport';
import type { Transport } from './transport.port';

/**
 * The transport the environment asks for: Kafka when `KAFKA_BROKERS` is set (comma-separated
 * bootstrap servers), otherwise the in-process log (single-process embedded default).
 */
export function createTransport(
  options: { brokers?: string; clientId?: string; logger?: Logger } = {},
): Transport {
  const brokers = options.brokers ?? process.env.KAFKA_BROKERS;
  if (brokers && brokers.trim()) {
    return createKafkaTransport({
      brokers: brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: options.clientId,
      logger: options.logger,
    });
  }
  return createInProcessTransport();
}
