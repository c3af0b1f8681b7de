import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '@linkage/common';
import { openEventStore } from '@linkage/event-store';
import { catchUp } from '../../../projector/src';
import { rowOf, type BenchRow } from './bench-report';
import { secondsSince, type BenchContext, type BenchScenario } from './bench-context';
import { appendCall, BATCH } from './event-store-append.bench';
import { quarterlyPeaks, staysFlat } from './process-memory';
import { PROJECTION_BATCH } from './projection.bench';

const GIB_MB = 1024;

/** The notes of one phase: each process's peak RSS by quarter of the input, and the verdicts. */
function memoryNotes(peaks: {
  node: number[];
  postgres: number[];
}): Record<string, string | number> {
  const notes: Record<string, string | number> = {
    nodeMbByQuarter: peaks.node.join('/'),
    nodePeakMb: Math.max(...peaks.node),
  };
  const measuredPostgres = peaks.postgres.some((mb) => mb > 0);
  if (measuredPostgres) {
    notes.postgresBackendMbByQuarter = peaks.postgres.join('/');
    notes.postgresBackendPeakMb = Math.max(...peaks.postgres);
  }
  const flat = staysFlat(peaks.node) && (!measuredPostgres || staysFlat(peaks.postgres));
  notes.flat = flat ? 'yes' : 'no';
  const peak = Math.max(...peaks.node, ...peaks.postgres);
  notes.underGiB = peak < GIB_MB ? 'yes' : 'no';
  return notes;
}

/**
 * The store and the projection at scale: `size` events appended (calls of 1,000 across 250
 * person streams, 20 events per stream in all, generated call by call so the input is never
 * held), then projected by `catchUp` into fresh read models; for each phase, the peak RSS of this
 * process and of the largest PostgreSQL backend in each quarter of the input (flat = the second
 * half's peak within 20% of the first half's).
 */
export async function benchScale(size: number, ctx: BenchContext): Promise<BenchRow[]> {
  const target = (await ctx.freshPostgresql()) ?? (await ctx.freshPglite());
  const sql = target.kind === 'postgresql' ? target.db.sql : undefined;
  const store = await openEventStore({ db: target.db });
  const log = (message: string) => process.stderr.write(`bench scale: ${message}\n`);
  try {
    let appended = 0;
    const appendPeaks = quarterlyPeaks(size, sql);
    const appendStart = process.hrtime.bigint();
    for (let start = 0; start < size; start += BATCH) {
      appended += (await store.appendMany(appendCall(start, size, 'scale'))).appended;
      appendPeaks.progress(appended);
      if ((start / BATCH) % 500 === 0) log(`appended ${appended.toLocaleString('en-GB')}`);
    }
    const appendSeconds = secondsSince(appendStart);
    const appendMemory = await appendPeaks.stop();

    let projected = 0;
    const projectPeaks = quarterlyPeaks(appended, sql);
    let nextLog = 0;
    const projectStart = process.hrtime.bigint();
    const { applied } = await catchUp({
      sql: target.db.sql,
      store,
      batchSize: PROJECTION_BATCH,
      logger: createLogger('bench'),
      onBatch: (count) => {
        projected += count;
        projectPeaks.progress(projected);
        if (projected >= nextLog) {
          log(`projected ${projected.toLocaleString('en-GB')}`);
          nextLog += 500_000;
        }
      },
    });
    const projectSeconds = secondsSince(projectStart);
    const projectMemory = await projectPeaks.stop();
    return [
      rowOf('scale', `append (${target.kind})`, appended, 'events', appendSeconds, {
        extra: { batch: BATCH, streams: Math.floor(size / 20), ...memoryNotes(appendMemory) },
      }),
      rowOf('scale', `project (${target.kind})`, applied, 'events', projectSeconds, {
        extra: { batch: PROJECTION_BATCH, ...memoryNotes(projectMemory) },
      }),
    ];
  } finally {
    await store.close();
    await target.dispose();
  }
}

/** Set in the child process that runs `scale`, so that it runs there rather than forking again. */
export const SCALE_CHILD_ENV = 'LINKAGE_BENCH_SCALE_CHILD';

/** The `linkage` command of this checkout (`bin/linkage.js`, found above this file). */
function linkageBin(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const bin = path.join(dir, 'bin', 'linkage.js');
    if (fs.existsSync(bin)) return bin;
    if (path.dirname(dir) === dir) throw new Error('bin/linkage.js not found above ' + __dirname);
  }
}

/**
 * `benchScale` in a child process of its own (`linkage bench --scenario scale --json`), so that
 * the peak RSS it samples is its own: in one `npm run bench` the earlier scenarios (the pipeline,
 * the API load) leave this process at several hundred MB before `scale` starts, which is not
 * memory that scale uses. The rows, with their verdicts, are the child's; `process=child` marks
 * them. The child's progress lines go to this process's stderr.
 */
export async function benchScaleInChild(size: number): Promise<BenchRow[]> {
  const child = spawn(
    process.execPath,
    [linkageBin(), 'bench', '--scenario', 'scale', '--size', String(size), '--json'],
    { env: { ...process.env, [SCALE_CHILD_ENV]: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  let rows: BenchRow[] | undefined;
  try {
    rows = (JSON.parse(lastLine) as { rows: BenchRow[] }).rows.filter(
      (r) => r.scenario === 'scale',
    );
  } catch {
    rows = undefined;
  }
  const failure = rows?.find((r) => r.note?.startsWith('failed'))?.note;
  if (exitCode !== 0 || !rows || rows.length === 0 || failure) {
    const reason = failure ?? (stderrTail.trim().split('\n').pop() || 'no figures');
    throw new Error(`the scale child process (pid ${child.pid}) exited ${exitCode}: ${reason}`);
  }
  return rows.map((r) => ({ ...r, extra: { ...r.extra, process: 'child' } }));
}

export const scaleBench: BenchScenario = {
  name: 'scale',
  description:
    'append then project SIZE events in a child process; its peak RSS by quarter of the input (flat?)',
  sizeKind: 'count',
  defaultSize: 10_000_000,
  sizeMeaning: 'events appended, then projected',
  run: (size, ctx) =>
    process.env[SCALE_CHILD_ENV] === '1' ? benchScale(size, ctx) : benchScaleInChild(size),
};
