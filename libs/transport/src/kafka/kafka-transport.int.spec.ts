import { describeTransportContract } from '../transport.contract';
import { createKafkaTransport } from './kafka-transport';
import { requireKafkaBrokers } from '@linkage/testing';

const brokers = requireKafkaBrokers();

describeTransportContract('kafka (kcat mock cluster)', async () => {
  const transport = createKafkaTransport({ brokers: brokers.split(',') });
  return { transport, cleanup: () => transport.close() };
});
