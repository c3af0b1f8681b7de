import * as fs from 'node:fs';
import { createLogger, type Logger } from '@linkage/common';

/** CPU seconds of one thread of this process, by its Linux thread id. */
export interface ThreadCpu {
  tid: number;
  cpuSeconds: number;
}

/** What one demo step took: wall clock, the process's CPU, and the threads that did the work. */
export interface PhaseTiming {
  phase: string;
  wallSeconds: number;
  /** User + system CPU of the whole process (every thread: main, PGlite's, the edge's, GC). */
  cpuSeconds: number;
  /** The main thread's share. */
  mainCpuSeconds: number | null;
  /** The busiest other threads in this step (PGlite's worker, the edge's, V8's helpers). */
  busiestThreads: ThreadCpu[];
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Per-thread CPU from `/proc/self/task` (Linux only; empty elsewhere). Node names every thread
 * `node`, so threads are told apart by id: PGlite's worker is the one busy while projecting.
 */
export function threadCpu(): Map<number, number> {
  const cpu = new Map<number, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return cpu;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      cpu.set(Number(tid), ticks / CLOCK_TICKS_PER_SECOND);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return cpu;
}

/** Differences between two `threadCpu()` samples, busiest first. */
export function threadCpuSpent(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): ThreadCpu[] {
  const spent: ThreadCpu[] = [];
  for (const [tid, seconds] of after) {
    const delta = seconds - (before.get(tid) ?? 0);
    if (delta > 0) spent.push({ tid, cpuSeconds: round(delta) });
  }
  return spent.sort((a, b) => b.cpuSeconds - a.cpuSeconds || a.tid - b.tid);
}

const round = (x: number) => Math.round(x * 100) / 100;

/**
 * Times the demo's steps (wall clock and CPU, per thread) and logs one line per step, so a
 * slow demo can be read phase by phase without a profiler (docs/BENCHMARKS.md's tables).
 */
export class PhaseClock {
  readonly timings: PhaseTiming[] = [];
  private readonly log: Logger;

  constructor(log: Logger = createLogger('cli', { component: 'demo' })) {
    this.log = log;
  }

  async time<T>(phase: string, step: () => Promise<T>): Promise<T> {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const threads = threadCpu();
    try {
      return await step();
    } finally {
      const used = process.cpuUsage(cpu);
      const spent = threadCpuSpent(threads, threadCpu());
      const main = spent.find((t) => t.tid === process.pid);
      const timing: PhaseTiming = {
        phase,
        wallSeconds: round(Number(process.hrtime.bigint() - wall) / 1e9),
        cpuSeconds: round((used.user + used.system) / 1e6),
        mainCpuSeconds: threads.size > 0 ? (main?.cpuSeconds ?? 0) : null,
        busiestThreads: spent.filter((t) => t.tid !== process.pid).slice(0, 3),
      };
      this.timings.push(timing);
      this.log.info(timing, 'demo phase');
    }
  }
}
