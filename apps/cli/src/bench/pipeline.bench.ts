import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@linkage/common';
import { metricsRegistry } from '@linkage/observability';
import type { Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import { Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { generatePopulation, type Manifest } from '@linkage/synthetic';
import { createInProcessTransport, createKafkaTransport, type Transport } from '@linkage/transport';
import {
  backpressureStatus,
  edgeThreadCount,
  runFileIngest,
  startEdgeThreads,
} from '../../../ingest/src';
import { catchUp, runMatching } from '../../../projector/src';
import { CEILING_TABLE_SQL, preparePsqlCopyOfFile, runPsql } from './append-ceiling';
import { loadAnalyticsApi } from './api-load';
import { rowOf, type BenchRow } from './bench-report';
import { secondsSince, type BenchContext, type BenchScenario } from './bench-context';
import { kafkaMockPeakMb, peakRssSampler, postgresBackendPeakMb } from './process-memory';
import { postgresServerCpuMeter, processTreeCpuMeter } from './process-cpu';

const COPY_BATCH = 1000;
const round2 = (n: number) => Math.round(n * 100) / 100;

export type PipelineTransport = 'in-process' | 'kafka';

/** What one end-to-end run measured. */
export interface PipelineRun {
  transport: PipelineTransport;
  records: number;
  events: number;
  ingestSeconds: number;
  projectSeconds: number;
  nodePeakMb: number;
  postgresPeakMb?: number;
  brokerPeakMb?: number;
  /** Time the publisher spent held back by the event writer's lag (backpressure), seconds. */
  heldBackSeconds?: number;
  /** How many publishes waited for the event writer. */
  backpressureWaits?: number;
  /** The event writer's batches during ingest, and the seconds spent writing them (summed). */
  writerBatches?: number;
  writerBusySeconds?: number;
  /** CPU seconds each process spent, during ingest and during projection (see `CpuSplit`). */
  ingestCpu?: CpuSplit;
  projectCpu?: CpuSplit;
}

/**
 * CPU seconds by process over one stretch of a run: this Node process (every thread: the edge's
 * workers, the writer, the projector, GC; PGlite too when the database is embedded), the whole
 * PostgreSQL server (backends, WAL writer, checkpointer), the Kafka mock broker. A process not on
 * this machine (or not used) is absent.
 */
export interface CpuSplit {
  node: number;
  postgres?: number;
  broker?: number;
}

const cpuTotal = (split: CpuSplit | undefined) =>
  split ? split.node + (split.postgres ?? 0) + (split.broker ?? 0) : 0;

/** Meters for a `CpuSplit`, started now; `read()` gives the CPU used since the last read. */
async function cpuSplitMeter(db: Database, transport: PipelineTransport) {
  const node = processTreeCpuMeter(process.pid);
  const postgres = await postgresServerCpuMeter(db.sql);
  const brokerPid = Number(process.env.KAFKA_MOCK_PID);
  const broker =
    transport === 'kafka' && Number.isInteger(brokerPid) && brokerPid > 0
      ? processTreeCpuMeter(brokerPid)
      : undefined;
  let last: CpuSplit = { node: 0, postgres: 0, broker: 0 };
  return {
    read(): CpuSplit {
      const now = {
        node: node?.seconds() ?? 0,
        postgres: postgres?.seconds(),
        broker: broker?.seconds(),
      };
      const since: CpuSplit = { node: round2(now.node - last.node) };
      if (now.postgres !== undefined) since.postgres = round2(now.postgres - (last.postgres ?? 0));
      if (now.broker !== undefined) since.broker = round2(now.broker - (last.broker ?? 0));
      last = { node: now.node, postgres: now.postgres, broker: now.broker };
      return since;
    },
  };
}

/** The event writer's batch histogram so far: batches written and seconds spent on them. */
async function writerBatchTotals(): Promise<{ batches: number; seconds: number }> {
  const metric = metricsRegistry.getSingleMetric('linkage_event_writer_batch_seconds');
  const values = metric ? (await metric.get()).values : [];
  const of = (suffix: string) =>
    values
      .filter(
        (v) =>
          (v as { metricName?: string }).metricName ===
          `linkage_event_writer_batch_seconds_${suffix}`,
      )
      .reduce((a, v) => a + v.value, 0);
  return { batches: of('count'), seconds: of('sum') };
}

/**
 * file -> edge -> transport -> event writer -> store -> read models caught up, for both sources
 * of a generated population (cipha first, as the demo does), on `db`. Matching is not timed.
 */
export async function runPipeline(
  db: Database,
  store: EventStore,
  population: { dir: string; manifest: Manifest },
  transport: PipelineTransport,
): Promise<PipelineRun> {
  const logger = createLogger('bench', { level: 'warn' });
  const key = { key: randomBytes(32), keyId: 'bench' };
  const pseudonymiser = new Pseudonymiser(key);
  const postcodes = loadPostcodeLookup();
  // The edge on worker threads, as `linkage ingest` and the demo run it (LINKAGE_EDGE_THREADS).
  const threads = edgeThreadCount();
  const edgeThreads = threads > 0 ? startEdgeThreads(key, threads) : undefined;
  const topicPrefix = `bench-${randomBytes(4).toString('hex')}`;
  const memory = peakRssSampler();
  const heldBefore = backpressureStatus();
  const writerBefore = await writerBatchTotals();
  const cpu = await cpuSplitMeter(db, transport);
  let records = 0;
  let events = 0;
  const start = process.hrtime.bigint();
  for (const source of ['cipha', 'liferooms'] as const) {
    const channel: Transport =
      transport === 'kafka'
        ? createKafkaTransport({
            brokers: (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean),
            clientId: topicPrefix,
            logger,
          })
        : createInProcessTransport();
    try {
      const summary = await runFileIngest({
        source,
        files: [path.join(population.dir, population.manifest.files[source])],
        transport: channel,
        db,
        logger,
        pseudonymiser,
        postcodes,
        ...(edgeThreads ? { edgeThreads } : {}),
        store,
        embeddedWriter: true,
        topicPrefix,
        progress: false,
      });
      records += summary.records;
      events += summary.accepted;
    } finally {
      await channel.close();
    }
  }
  await edgeThreads?.close();
  const ingestSeconds = secondsSince(start);
  const ingestCpu = cpu.read();
  const heldAfter = backpressureStatus();
  const writerAfter = await writerBatchTotals();
  const projectStart = process.hrtime.bigint();
  await catchUp({ sql: db.sql, store, logger, bulkLoad: true }); // empty read models, as the demo
  const projectSeconds = secondsSince(projectStart);
  const projectCpu = cpu.read();
  return {
    transport,
    records,
    events,
    ingestSeconds,
    projectSeconds,
    nodePeakMb: memory.stop(),
    postgresPeakMb: await postgresBackendPeakMb(db.sql),
    brokerPeakMb: transport === 'kafka' ? kafkaMockPeakMb() : undefined,
    heldBackSeconds: round2((heldAfter.waitedMs - heldBefore.waitedMs) / 1000),
    backpressureWaits: heldAfter.waits - heldBefore.waits,
    writerBatches: writerAfter.batches - writerBefore.batches,
    writerBusySeconds: round2(writerAfter.seconds - writerBefore.seconds),
    ingestCpu,
    projectCpu,
  };
}

/**
 * The ceiling for the same events: the stored events exported as COPY text and loaded back by
 * psql's `\copy` into a table with the event store's keys, 1,000 rows per COPY (one
 * transaction each), into a fresh schema of the same database. Returns rows/s.
 */
export async function copyCeilingOfStoredEvents(db: Database, scratch: string): Promise<number> {
  fs.mkdirSync(scratch, { recursive: true });
  const exported = path.join(scratch, 'events.tsv');
  await runPsqlCommand(
    db.url,
    `\\copy (select event_id, stream_id, stream_version, type, schema_version, data, metadata from event_store.events order by global_position) to '${exported}'`,
  );
  await db.sql.unsafe(CEILING_TABLE_SQL);
  const { script, rows } = await preparePsqlCopyOfFile(
    exported,
    path.join(scratch, 'copy'),
    COPY_BATCH,
  );
  fs.rmSync(exported);
  const start = process.hrtime.bigint();
  await runPsql(db.url, script);
  const seconds = secondsSince(start);
  await db.sql.unsafe('drop schema bench_ceiling cascade');
  fs.rmSync(path.join(scratch, 'copy'), { recursive: true, force: true });
  return rows / seconds;
}

async function runPsqlCommand(url: string, command: string): Promise<void> {
  const file = path.join(
    fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'psql-')),
    'cmd.sql',
  );
  fs.writeFileSync(file, command + '\n');
  try {
    await runPsql(url, file);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

function pipelineRow(run: PipelineRun, copyPerSecond: number | undefined): BenchRow {
  const seconds = run.ingestSeconds + run.projectSeconds;
  const extra: Record<string, number | string> = {
    events: run.events,
    eventsPerS: Math.round(run.events / seconds),
    ingestS: round2(run.ingestSeconds),
    projectS: round2(run.projectSeconds),
    projectPerS: Math.round(run.events / run.projectSeconds),
  };
  if (copyPerSecond) {
    extra.xCopy = round2(run.events / seconds / copyPerSecond);
    extra.projectXCopy = round2(run.events / run.projectSeconds / copyPerSecond);
  }
  extra.nodePeakMb = run.nodePeakMb;
  if (run.postgresPeakMb !== undefined) extra.postgresBackendPeakMb = run.postgresPeakMb;
  if (run.brokerPeakMb !== undefined) extra.brokerPeakMb = run.brokerPeakMb;
  if (run.writerBatches) {
    extra.writerBatches = run.writerBatches;
    extra.writerBusyS = run.writerBusySeconds ?? 0;
  }
  if (run.backpressureWaits) {
    extra.heldBackS = run.heldBackSeconds ?? 0;
    extra.backpressureWaits = run.backpressureWaits;
  }
  Object.assign(extra, cpuFigures(run, copyPerSecond));
  return rowOf('pipeline', run.transport, run.records, 'records', seconds, { extra });
}

/**
 * Where the run's time went in CPU: seconds per process, the cores kept busy in each half (2 is
 * all of this machine), the CPU per 1,000 events, and `cpuBoundXCopy`: the ratio to COPY the run
 * would reach if this CPU work kept every core busy the whole time (`CORES`). When that bound is
 * under a target, the target needs less work per event, not less waiting.
 */
export function cpuFigures(
  run: Pick<
    PipelineRun,
    'events' | 'ingestSeconds' | 'projectSeconds' | 'ingestCpu' | 'projectCpu'
  >,
  copyPerSecond: number | undefined,
  cores = CORES,
): Record<string, number> {
  if (!run.ingestCpu || !run.projectCpu) return {};
  const ingest = cpuTotal(run.ingestCpu);
  const project = cpuTotal(run.projectCpu);
  const out: Record<string, number> = {
    nodeCpuS: round2(run.ingestCpu.node + run.projectCpu.node),
  };
  if (run.ingestCpu.postgres !== undefined)
    out.postgresCpuS = round2(run.ingestCpu.postgres + (run.projectCpu.postgres ?? 0));
  if (run.ingestCpu.broker !== undefined)
    out.brokerCpuS = round2(run.ingestCpu.broker + (run.projectCpu.broker ?? 0));
  out.ingestCores = round2(ingest / run.ingestSeconds);
  out.projectCores = round2(project / run.projectSeconds);
  out.cpuMsPerKEvents = Math.round(((ingest + project) * 1e6) / run.events);
  if (copyPerSecond)
    out.cpuBoundXCopy = round2(run.events / ((ingest + project) / cores) / copyPerSecond);
  return out;
}

/** Cores of this machine (the bound `cpuBoundXCopy` assumes all of them busy). */
const CORES = os.availableParallelism();

/**
 * `LINKAGE_BENCH_PIPELINE_TRANSPORTS=kafka` runs only the Kafka half (comma-separated; default
 * both), e.g. to look at the broker path at the demo size without the in-process run first.
 */
function onlyTransports(): string[] | undefined {
  const raw = process.env.LINKAGE_BENCH_PIPELINE_TRANSPORTS;
  return raw ? raw.split(',').map((t) => t.trim()) : undefined;
}

/** Seconds each API route is loaded for; `LINKAGE_BENCH_API_SECONDS` overrides it. */
function apiSeconds(): number {
  const n = Number(process.env.LINKAGE_BENCH_API_SECONDS);
  return Number.isFinite(n) && n > 0 ? n : 5;
}

/**
 * The whole pipeline on a generated population of `cohort` Life Rooms users (x6 people), once
 * with the in-process transport and once through the Kafka-protocol broker (`KAFKA_BROKERS`),
 * each into a fresh database; the COPY ceiling of the same stored events; then the analytics
 * API under load on the in-process run's read models (after matching).
 */
export async function benchPipeline(
  cohort: number,
  ctx: BenchContext,
  options: { apiSeconds?: number; apiRoutes?: string[]; apiRequests?: number } = {},
): Promise<BenchRow[]> {
  const dir = path.join(ctx.tmpDir, `pipeline-${cohort}`);
  const manifest = await generatePopulation({ cohort, progress: 'off' }, dir);
  const population = { dir, manifest };
  const transports: PipelineTransport[] = (
    process.env.KAFKA_BROKERS ? ['in-process', 'kafka'] : ['in-process']
  ).filter((t) => onlyTransports()?.includes(t) ?? true) as PipelineTransport[];
  const rows: BenchRow[] = [];
  const pipelineRows: BenchRow[] = [];
  let copyPerSecond: number | undefined;
  const mark = (m: string) =>
    process.env.LINKAGE_BENCH_TRACE && process.stderr.write(`pipeline: ${m}\n`);
  for (const transport of transports) {
    mark(transport);
    const target = (await ctx.freshPostgresql()) ?? (await ctx.freshPglite());
    const store = await openEventStore({ db: target.db });
    try {
      let run: PipelineRun;
      try {
        run = await runPipeline(target.db, store, population, transport);
      } catch (error) {
        // Keep the other transport's figures: one failed run is a row, not a lost scenario.
        const reason = error instanceof Error ? error.message : String(error);
        pipelineRows.push(
          rowOf('pipeline', transport, 0, 'records', 0, { note: `failed: ${reason}` }),
        );
        continue;
      }
      mark(`ran ${JSON.stringify(run)}`);
      if (copyPerSecond === undefined && target.kind === 'postgresql') {
        copyPerSecond = await copyCeilingOfStoredEvents(target.db, path.join(dir, 'ceiling'));
        rows.push(
          rowOf(
            'pipeline',
            'copy-psql (same events)',
            run.events,
            'events',
            run.events / copyPerSecond,
            {
              extra: { batch: COPY_BATCH, ceiling: 'yes' },
            },
          ),
        );
      }
      pipelineRows.push(pipelineRow(run, copyPerSecond));
      if (transport === 'in-process') {
        mark('matching');
        const matchStart = process.hrtime.bigint();
        await runMatching(target.db.sql);
        const matchSeconds = secondsSince(matchStart);
        mark(`matched in ${matchSeconds}s`);
        const memory = peakRssSampler();
        const api = await loadAnalyticsApi(target.db, store, dir, {
          seconds: options.apiSeconds ?? apiSeconds(),
          routes: options.apiRoutes,
          requests: options.apiRequests,
        });
        const apiPeak = memory.stop();
        mark('api done');
        for (const r of api) r.extra = { ...r.extra, nodePeakMb: apiPeak };
        rows.push(
          rowOf('pipeline', 'matching (untimed above)', 1, 'runs', matchSeconds, {
            extra: { persons: manifest.population.persons },
          }),
          ...api,
        );
      }
    } finally {
      await store.close();
      await target.dispose();
    }
  }
  if (!process.env.KAFKA_BROKERS) {
    pipelineRows.push(
      rowOf('pipeline', 'kafka', 0, 'records', 0, { note: 'skipped: KAFKA_BROKERS not set' }),
    );
  }
  return [...pipelineRows, ...rows];
}

export const pipelineBench: BenchScenario = {
  name: 'pipeline',
  description:
    'end to end (file -> transport -> store -> read models), in-process and Kafka, vs COPY; API under load',
  sizeKind: 'count',
  defaultSize: 6000,
  sizeMeaning: 'cohort (Life Rooms users; 6 people each)',
  run: (size, ctx) => benchPipeline(size, ctx),
};
