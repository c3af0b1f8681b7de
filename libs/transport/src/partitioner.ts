/**
 * Murmur2 partitioning, the same hash Kafka's Java client and kafkajs' default partitioner use,
 * so the in-process log spreads keys across partitions the way the real cluster does.
 */
export function murmur2(key: Buffer): number {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  const length = key.length;
  let h = seed ^ length;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length - i;
  if (rest === 3) h ^= key[i + 2] << 16;
  if (rest >= 2) h ^= key[i + 1] << 8;
  if (rest >= 1) {
    h ^= key[i];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The partition a key belongs to (keyless messages go round-robin, chosen by the caller). */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;
}
