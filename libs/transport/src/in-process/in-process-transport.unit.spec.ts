import { describeTransportContract } from '../transport.contract';
import type { IncomingMessage } from '../transport.port';
import { createInProcessTransport } from './in-process-transport';

describeTransportContract('in-process', async () => {
  const transport = createInProcessTransport();
  return { transport, cleanup: () => transport.close() };
});

/** Resolves after the event loop has turned `n` times (lets pending work run; not a timer). */
const turns = async (n: number) => {
  for (let i = 0; i < n; i += 1) await new Promise((r) => setImmediate(r));
};

describe('in-process transport: bounded memory and concurrency', () => {
  it('makes publish wait while a group lags more than maxLag messages, then lets it go on', async () => {
    const transport = createInProcessTransport({ maxLag: 100, partitions: 4 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let received = 0;
    const sub = await transport.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      eachBatch: async (messages) => {
        await gate;
        received += messages.length;
      },
    });
    const batch = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
    await transport.publish('t', batch(150, 0));
    let published = false;
    const second = transport.publish('t', batch(50, 150)).then(() => (published = true));
    await turns(20);
    expect(published).toBe(false);
    release();
    await second;
    expect(published).toBe(true);
    await sub.stop();
    await transport.close();
    expect(received).toBeGreaterThanOrEqual(150);
  });

  it('handles partitions concurrently up to `concurrency`, one batch per partition, in key order', async () => {
    const transport = createInProcessTransport({ partitions: 4, maxBatchSize: 10 });
    await transport.publish(
      't',
      Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 20}`, value: String(i) })),
    );
    let inFlight = 0;
    let most = 0;
    const perPartition = new Set<number>();
    const got: IncomingMessage[] = [];
    const sub = await transport.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      concurrency: 2,
      eachBatch: async (messages) => {
        const p = messages[0].partition;
        expect(perPartition.has(p)).toBe(false);
        perPartition.add(p);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await turns(3);
        got.push(...messages);
        inFlight -= 1;
        perPartition.delete(p);
      },
    });
    for (let i = 0; i < 1000 && got.length < 200; i += 1) await turns(1);
    await sub.stop();
    await transport.close();
    expect(got).toHaveLength(200);
    expect(most).toBe(2);
    for (let k = 0; k < 20; k += 1) {
      const ns = got.filter((m) => m.key === `k${k}`).map((m) => Number(m.value.toString()));
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });
});
