import { describeTransportContract } from '../transport.contract';
import { createKafkaTransport } from './kafka-transport';
import { randomBytes } from 'node:crypto';
import { eventually, requireKafkaBrokers } from '@linkage/testing';

const brokers = requireKafkaBrokers();

describeTransportContract('kafka (kcat mock cluster)', async () => {
  const transport = createKafkaTransport({ brokers: brokers.split(',') });
  return { transport, cleanup: () => transport.close() };
});

describe('kafka transport: closed for good', () => {
  const sockets = () =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

  it('refuses work after close instead of opening a client nothing would close', async () => {
    const before = sockets();
    const transport = createKafkaTransport({ brokers: brokers.split(',') });
    const topic = `closed-${randomBytes(4).toString('hex')}`;
    await transport.ensureTopics([topic]);
    await transport.publish(topic, [{ key: 'k', value: 'v' }]);
    expect((await transport.lag(topic, 'closed-test')).total).toBeGreaterThanOrEqual(0);
    await transport.close();

    await expect(transport.lag(topic, 'closed-test')).rejects.toThrow(
      'the Kafka transport is closed',
    );
    await expect(transport.publish(topic, [{ key: 'k', value: 'v' }])).rejects.toThrow(
      'the Kafka transport is closed',
    );
    await expect(
      transport.subscribe({ topic, groupId: 'closed-test', eachBatch: async () => undefined }),
    ).rejects.toThrow('the Kafka transport is closed');
    // Its producer and admin connections are gone, and none was opened again.
    await eventually(() => (sockets() <= before ? true : undefined), {
      what: 'the sockets of the transport closed',
    });
  });
});
