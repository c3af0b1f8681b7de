import { describeTransportContract } from '../transport.contract';
import { createKafkaTransport } from './kafka-transport';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) {
  throw new Error('KAFKA_BROKERS is not set: run with `npm test` or `. infra/kafka-mock.sh`');
}

describeTransportContract('kafka (kcat mock cluster)', async () => {
  const transport = createKafkaTransport({ brokers: brokers.split(',') });
  return { transport, cleanup: () => transport.close() };
});
