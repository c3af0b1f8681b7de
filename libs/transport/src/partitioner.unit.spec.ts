import { partitionFor } from './partitioner';

// kafkajs' own murmur2 (the Java client's hash): the in-process log must place keys alike.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: string,
) => number;

describe('partitionFor', () => {
  it.each(['a', 'bob', 'carol', 'dave1', '0123456789abcdef0123456789abcdef', 'é-ü'])(
    'puts %s on the partition Kafka would',
    (key) => {
      for (const partitions of [1, 3, 4, 12]) {
        expect(partitionFor(key, partitions)).toBe((kafkajsMurmur2(key) & 0x7fffffff) % partitions);
      }
    },
  );
});
