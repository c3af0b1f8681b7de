import * as path from 'node:path';
import { generatePopulation } from '@linkage/synthetic';
import { openBenchContext } from './bench-context';
import { quantile } from './api-load';
import { comparePostgresqlAppends } from './event-store-append.bench';
import { benchPipeline } from './pipeline.bench';
import { benchProjection } from './projection.bench';
import { staysFlat } from './process-memory';
import { benchScale, scaleBench } from './scale.bench';

// The new scenarios at a tiny size, so the bench code cannot rot: every variant really writes
// what it says (counts read back), ratios are computed, the API answers under load. No timing.
describe('bench: peers, ceiling and the pipeline at a small scale', () => {
  const ctx = openBenchContext();
  afterAll(() => ctx.close());

  it('appends the same events with linkage, COPY (postgres.js and psql) and Emmett', async () => {
    const rows = await comparePostgresqlAppends(ctx, 2000, 1);
    expect(rows.map((r) => [r.variant, r.count])).toEqual([
      ['postgresql', 2000],
      ['postgresql-one-call', 2000],
      ['postgresql-statements', 2000],
      ['copy-postgres.js', 2000],
      ['copy-psql', 2000],
      ['emmett', 2000],
    ]);
    const ours = rows[0].extra!;
    expect(ours.xCopy).toEqual(expect.any(Number));
    expect(ours.xEmmett).toEqual(expect.any(Number));
    expect(ours.xCopy as number).toBeGreaterThan(0);
    expect(rows.filter((r) => r.extra?.ceiling === 'yes')).toHaveLength(1);
  }, 180_000);

  it('projects the same events with ours and Emmett into the same service-use rows, and COPYs them', async () => {
    const dir = path.join(ctx.tmpDir, 'projection-population');
    const manifest = await generatePopulation({ cohort: 20, progress: 'off' }, dir);
    const rows = await benchProjection(1500, ctx, { population: { dir, manifest } });
    expect(rows.map((r) => [r.variant, r.count])).toEqual([
      ['postgresql', 1500],
      ['emmett-rebuild', 1500],
      ['copy-psql (same events)', 1500],
    ]);
    const [ours, emmett] = rows.map((r) => r.extra!);
    // Emmett saw every stored event and built what our projector built.
    expect(emmett.handled).toBe(1500);
    expect(ours.activityRows as number).toBeGreaterThan(0);
    expect(emmett.activityRows).toBe(ours.activityRows);
    expect(emmett.monthlyRows).toBe(ours.monthlyRows);
    expect(ours.xCopy as number).toBeGreaterThan(0);
    expect(ours.xEmmett as number).toBeGreaterThan(0);
  }, 300_000);

  it("appends and projects at scale, with each process's peak RSS per quarter of the input", async () => {
    const rows = await benchScale(4000, ctx);
    expect(rows.map((r) => [r.variant, r.count])).toEqual([
      ['append (postgresql)', 4000],
      ['project (postgresql)', 4000],
    ]);
    for (const r of rows) {
      const quarters = String(r.extra!.nodeMbByQuarter).split('/').map(Number);
      expect(quarters).toHaveLength(4);
      expect(quarters.every((mb) => mb > 0)).toBe(true);
      expect(r.extra!.nodePeakMb).toBe(Math.max(...quarters));
      expect(r.extra!.postgresBackendPeakMb as number).toBeGreaterThan(0);
      expect(['yes', 'no']).toContain(r.extra!.flat);
    }
  }, 300_000);

  it('runs the scale scenario in a child process whose peak RSS is its own, not this one', async () => {
    // Ballast this process holds (zero-filled, so resident) while the child runs: a scale run
    // sampled in this process would report at least this process's RSS.
    const ballast = Buffer.alloc(512 * 1024 ** 2);
    try {
      const parentMb = Math.round(process.memoryUsage().rss / 1024 ** 2);
      const rows = await scaleBench.run(2000, ctx);
      expect(rows.map((r) => [r.variant, r.count, r.extra!.process])).toEqual([
        ['append (postgresql)', 2000, 'child'],
        ['project (postgresql)', 2000, 'child'],
      ]);
      for (const r of rows) {
        const peak = r.extra!.nodePeakMb as number;
        expect(peak).toBeGreaterThan(0);
        expect(peak).toBeLessThan(parentMb - 256);
        expect(r.extra!.underGiB).toBe('yes');
      }
    } finally {
      ballast.fill(1, 0, 1); // keeps the ballast alive until here
    }
  }, 300_000);

  it("fails the scenario with the child's reason when the child's scale run fails", async () => {
    const saved = process.env.DATABASE_URL;
    // A server that refuses connections: the child cannot make its fresh database.
    process.env.DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:1/none';
    try {
      await expect(scaleBench.run(2000, ctx)).rejects.toThrow(
        /the scale child process \(pid \d+\) exited 1: failed: .*ECONNREFUSED/,
      );
    } finally {
      process.env.DATABASE_URL = saved;
    }
  }, 300_000);

  it('runs the pipeline in-process and through Kafka, the COPY of the same events, and API load', async () => {
    const rows = await benchPipeline(20, ctx, {
      apiRequests: 100,
      apiRoutes: ['/v1/cohort', '/v1/outcomes?measure=cost'],
    });
    const byVariant = new Map(rows.map((r) => [`${r.scenario}:${r.variant}`, r]));
    const inProcess = byVariant.get('pipeline:in-process')!;
    const kafka = byVariant.get('pipeline:kafka')!;
    const copy = byVariant.get('pipeline:copy-psql (same events)')!;
    expect(inProcess.count).toBeGreaterThan(0);
    // Both transports read the same files and stored the same number of events.
    expect(kafka.count).toBe(inProcess.count);
    expect(kafka.extra!.events).toBe(inProcess.extra!.events);
    expect(copy.count).toBe(inProcess.extra!.events);
    expect(inProcess.extra!.xCopy).toEqual(expect.any(Number));
    expect(inProcess.extra!.nodePeakMb as number).toBeGreaterThan(0);
    expect(inProcess.extra!.postgresBackendPeakMb as number).toBeGreaterThan(0);
    // Where the CPU went: this process, the PostgreSQL server, and the broker for Kafka only.
    for (const run of [inProcess, kafka]) {
      expect(run.extra!.nodeCpuS as number).toBeGreaterThan(0);
      expect(run.extra!.postgresCpuS as number).toBeGreaterThan(0);
      expect(run.extra!.ingestCores as number).toBeGreaterThan(0);
      expect(run.extra!.cpuMsPerKEvents as number).toBeGreaterThan(0);
      expect(run.extra!.cpuBoundXCopy as number).toBeGreaterThan(0);
    }
    expect(kafka.extra!.brokerCpuS).toEqual(expect.any(Number));
    expect(inProcess.extra!.brokerCpuS).toBeUndefined();
    const api = rows.filter((r) => r.scenario === 'api-load');
    expect(api.map((r) => r.variant)).toEqual(['/v1/cohort', '/v1/outcomes?measure=cost']);
    for (const r of api) {
      expect(r.count).toBe(100);
      expect(r.extra).toMatchObject({ clients: 50, non2xx: 0 });
      expect(r.extra!.p95ms as number).toBeGreaterThanOrEqual(r.extra!.p50ms as number);
    }
  }, 600_000);
});

describe('staysFlat', () => {
  it('holds when the second half peaks within 20% (or 64 MB) of the first', () => {
    expect(staysFlat([300, 320, 330, 380])).toBe(true);
    expect(staysFlat([100, 120, 150, 184])).toBe(true);
  });
  it('fails when memory keeps growing with the input', () => {
    expect(staysFlat([300, 400, 500, 600])).toBe(false);
    expect(staysFlat([100, 120, 150, 185])).toBe(false);
  });
});

describe('quantile', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [0.5, 50],
    [0.95, 95],
    [0.99, 99],
    [1, 100],
  ])('the %s quantile of 1..100 is %s (nearest rank)', (q, expected) => {
    expect(quantile(values, q)).toBe(expected);
  });
  it('is NaN for no values, not 0', () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});
