import type { Logger } from '@linkage/common';
import { PhaseClock, threadCpu, threadCpuSpent } from './phase-clock';

const silent = { info: () => undefined } as unknown as Logger;

describe('threadCpuSpent', () => {
  it('gives each thread what it spent between two samples, busiest first', () => {
    const before = new Map([
      [10, 1.0],
      [11, 5.0],
      [12, 2.0],
    ]);
    const after = new Map([
      [10, 1.5],
      [11, 5.0], // idle in between: left out
      [12, 4.25],
      [13, 0.3], // started in between: all of it counts
    ]);
    expect(threadCpuSpent(before, after)).toEqual([
      { tid: 12, cpuSeconds: 2.25 },
      { tid: 10, cpuSeconds: 0.5 },
      { tid: 13, cpuSeconds: 0.3 },
    ]);
  });

  it('is empty when nothing ran', () => {
    const sample = new Map([[10, 1.0]]);
    expect(threadCpuSpent(sample, sample)).toEqual([]);
  });
});

describe('PhaseClock', () => {
  it('records wall clock and CPU of a step, and the main thread among the threads', async () => {
    const clock = new PhaseClock(silent);
    const result = await clock.time('busy', async () => {
      // At least 40 ms of wall clock and of CPU, however long a loaded machine takes to give it.
      // Both are waited for: process.cpuUsage counts every thread (GC helpers among them), so
      // 40 ms of it can pass in less wall time; the margin survives rounding to hundredths.
      const start = process.cpuUsage();
      const wallStart = process.hrtime.bigint();
      while (
        process.cpuUsage(start).user < 40_000 ||
        process.hrtime.bigint() - wallStart < 40_000_000n
      );
      return 42;
    });
    expect(result).toBe(42);
    expect(clock.timings).toHaveLength(1);
    const [timing] = clock.timings;
    expect(timing.phase).toBe('busy');
    expect(timing.wallSeconds).toBeGreaterThanOrEqual(0.03);
    expect(timing.cpuSeconds).toBeGreaterThanOrEqual(0.03);
    if (threadCpu().size > 0) expect(timing.mainCpuSeconds).not.toBeNull();
    expect(timing.busiestThreads.every((t) => t.tid !== process.pid)).toBe(true);
  });

  it('records a step that fails and passes its error on', async () => {
    const clock = new PhaseClock(silent);
    await expect(
      clock.time('failing', () => Promise.reject(new Error('no such file'))),
    ).rejects.toThrow('no such file');
    expect(clock.timings.map((t) => t.phase)).toEqual(['failing']);
  });
});
