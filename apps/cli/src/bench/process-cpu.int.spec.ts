import postgres from 'postgres';
import { createFreshDatabase } from '@linkage/testing';
import { cpuFigures } from './pipeline.bench';
import {
  nodeCpuMeter,
  postgresServerCpuMeter,
  processCpuSeconds,
  processTreeCpuMeter,
} from './process-cpu';

/** Spends at least `seconds` of this thread's CPU (not wall time: a loaded machine only slows it). */
function burnCpu(seconds: number): void {
  const start = process.cpuUsage();
  let x = 0;
  while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1e6 < seconds) x++;
  if (x < 0) throw new Error('unreachable');
}

// A query that keeps its backend busy for a few hundred ms of CPU.
const HEAVY = 'select count(*) from generate_series(1, 4000000) g where g % 7 = 3';

describe('CPU meters for the bench', () => {
  it("counts this process's CPU, and none of a process that is not there", () => {
    const tree = processTreeCpuMeter(process.pid)!;
    const node = nodeCpuMeter();
    burnCpu(0.3);
    expect(node.seconds()).toBeGreaterThanOrEqual(0.3);
    // /proc counts in 10 ms ticks.
    expect(tree.seconds()!).toBeGreaterThanOrEqual(0.28);
    expect(processCpuSeconds(2 ** 22 + 12345)).toBeUndefined();
    expect(processTreeCpuMeter(2 ** 22 + 12345)).toBeUndefined();
  });

  describe('on the PostgreSQL server', () => {
    let fresh: Awaited<ReturnType<typeof createFreshDatabase>>;
    beforeAll(async () => {
      fresh = await createFreshDatabase('linkage_cpu');
    });
    afterAll(() => fresh.drop());

    it("counts a live backend's work", async () => {
      const sql = postgres(fresh.url, { max: 1, onnotice: () => undefined });
      try {
        const meter = (await postgresServerCpuMeter(sql))!;
        expect(meter).toBeDefined();
        const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
        const before = processCpuSeconds(pid)!;
        await sql.unsafe(HEAVY);
        const backend = processCpuSeconds(pid)! - before;
        expect(backend).toBeGreaterThan(0.05);
        expect(meter.seconds()!).toBeGreaterThanOrEqual(backend - 0.02);
      } finally {
        await sql.end();
      }
    });

    it('keeps counting the work of a backend that has exited since', async () => {
      const observer = postgres(fresh.url, { max: 1, onnotice: () => undefined });
      const worker = postgres(fresh.url, { max: 1, onnotice: () => undefined });
      try {
        const meter = (await postgresServerCpuMeter(observer))!;
        const [{ pid }] = await worker<{ pid: number }[]>`select pg_backend_pid() as pid`;
        const before = processCpuSeconds(pid)!;
        await worker.unsafe(HEAVY);
        await worker.unsafe(HEAVY);
        const backend = processCpuSeconds(pid)! - before;
        await worker.end();
        // Wait until the postmaster has reaped it: its time has then moved into `cutime`.
        const deadline = Date.now() + 30_000;
        while (processCpuSeconds(pid) !== undefined && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        expect(processCpuSeconds(pid)).toBeUndefined();
        expect(backend).toBeGreaterThan(0.1);
        expect(meter.seconds()!).toBeGreaterThanOrEqual(backend - 0.02);
      } finally {
        await observer.end();
      }
    });
  });
});

describe('cpuFigures', () => {
  const run = {
    events: 100_000,
    ingestSeconds: 10,
    projectSeconds: 5,
    ingestCpu: { node: 8, postgres: 6 },
    projectCpu: { node: 3, postgres: 4 },
  };

  it('splits the CPU by process, and bounds the ratio by all cores busy', () => {
    // 21 s of CPU on 2 cores: 10.5 s at best, 9,524 events/s; against 50,000/s COPY: 0.19x.
    expect(cpuFigures(run, 50_000, 2)).toEqual({
      nodeCpuS: 11,
      postgresCpuS: 10,
      ingestCores: 1.4,
      projectCores: 1.4,
      cpuMsPerKEvents: 210,
      cpuBoundXCopy: 0.19,
    });
  });

  it('has no bound without a ceiling, and nothing without CPU figures', () => {
    expect(cpuFigures(run, undefined, 2).cpuBoundXCopy).toBeUndefined();
    expect(cpuFigures({ ...run, ingestCpu: undefined }, 50_000, 2)).toEqual({});
  });
});
