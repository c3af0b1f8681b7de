import { resolve } from './generate-population';
import { simulateInThread, type Simulation } from './simulate-people';
import { simulateOnThread } from './simulation-threads';

/** Every batch of a simulation, in the order they came. */
async function drain(simulation: Simulation) {
  const batches = [];
  for await (const batch of simulation.batches) batches.push(batch);
  return batches;
}

describe('simulateOnThread', () => {
  const options = resolve({ cohort: 30, persons: 700, seed: 'thread-test' });

  it('gives the same batches, in person order, and the same tally as the simulation in-thread', async () => {
    const onThread = simulateOnThread(options, undefined);
    try {
      const threaded = await drain(onThread);
      const reference = simulateInThread(options, undefined);
      const expected = await drain(reference);
      expect(threaded.flat().map((s) => s.index)).toEqual(Array.from({ length: 700 }, (_, i) => i));
      expect(threaded).toEqual(expected);
      expect(onThread.tally()).toEqual(reference.tally());
    } finally {
      await onThread.stop();
    }
  });

  it('fails with the error class only when the thread fails, and stops cleanly', async () => {
    // Effects of null make the thread's planning throw a TypeError.
    const broken = { ...options, effects: null as unknown as typeof options.effects };
    const simulation = simulateOnThread(broken, undefined);
    await expect(drain(simulation)).rejects.toThrow(/^simulation thread failed \(TypeError\)$/);
    expect(() => simulation.tally()).toThrow(/not finished/);
    await simulation.stop();
  });
});
