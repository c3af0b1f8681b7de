import * as fs from 'node:fs';
import type { Sql } from '@linkage/database';

const MB = 1024 ** 2;

/** Peak resident memory of this process while `stop()` has not been called (sampled every 250 ms). */
export function peakRssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 250);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage().rss) / MB);
    },
  };
}

/** A process's high-water resident set (`VmHWM`, Linux), in MB; undefined when unreadable. */
export function highWaterMb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The largest peak RSS among the PostgreSQL server processes serving this database (its
 * backends, which live as long as the pool's connections). Undefined when the server runs on
 * another machine or in this process (PGlite).
 */
export async function postgresBackendPeakMb(sql: Sql): Promise<number | undefined> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database()`;
  const peaks = rows.map((r) => highWaterMb(r.pid)).filter((n): n is number => n !== undefined);
  return peaks.length ? Math.max(...peaks) : undefined;
}

/** Every descendant of `pid` (Linux `/proc/<pid>/task/<tid>/children`). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c);
        visit(c);
      }
    }
  };
  visit(pid);
  return out;
}

/**
 * Peak RSS of the Kafka mock broker started by `infra/kafka-mock.sh` (`KAFKA_MOCK_PID` is its
 * process group leader; the broker is the largest process under it).
 */
export function kafkaMockPeakMb(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const leader = Number(env.KAFKA_MOCK_PID);
  if (!Number.isInteger(leader) || leader <= 0) return undefined;
  const peaks = [leader, ...descendants(leader)]
    .map(highWaterMb)
    .filter((n): n is number => n !== undefined);
  return peaks.length ? Math.max(...peaks) : undefined;
}

/** A process's current resident set (`VmRSS`, Linux), in MB; undefined when unreadable. */
export function residentMb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The largest current RSS among the PostgreSQL backends serving this database, in MB. */
export async function postgresBackendRssMb(sql: Sql): Promise<number | undefined> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database()`;
  const sizes = rows.map((r) => residentMb(r.pid)).filter((n): n is number => n !== undefined);
  return sizes.length ? Math.max(...sizes) : undefined;
}

/**
 * Peak RSS per quarter of a long run, to show whether memory stays flat as input grows: this
 * process sampled every 250 ms, and (when `sql` reaches a server on this machine) the largest
 * PostgreSQL backend of the database sampled every 2 s. `progress(done)` says how far the run is
 * (of `total`); a sample counts toward the quarter the run was in when it was taken.
 */
export function quarterlyPeaks(
  total: number,
  sql?: Sql,
): { progress(done: number): void; stop(): Promise<{ node: number[]; postgres: number[] }> } {
  const node = [0, 0, 0, 0];
  const postgres = [0, 0, 0, 0];
  let quarter = 0;
  // A sample counts for quarters `from`..`to` (several when one step of the run spans them).
  const sampleNode = (from = quarter, to = quarter) => {
    const mb = Math.round(process.memoryUsage().rss / MB);
    for (let q = from; q <= to; q++) node[q] = Math.max(node[q], mb);
  };
  let sampling: Promise<void> = Promise.resolve();
  const samplePostgres = (from = quarter, to = quarter) => {
    if (!sql) return;
    sampling = sampling
      .then(() => postgresBackendRssMb(sql))
      .then((mb) => {
        if (mb === undefined) return;
        for (let q = from; q <= to; q++) postgres[q] = Math.max(postgres[q], mb);
      })
      .catch(() => undefined);
  };
  const nodeTimer = setInterval(() => sampleNode(), 250);
  const pgTimer = setInterval(() => samplePostgres(), 2000);
  nodeTimer.unref();
  pgTimer.unref();
  sampleNode();
  samplePostgres();
  return {
    progress(done) {
      const next = Math.min(3, Math.floor((done / Math.max(1, total)) * 4));
      if (next > quarter) {
        sampleNode(quarter, next);
        samplePostgres(quarter, next);
        quarter = next;
      }
    },
    async stop() {
      clearInterval(nodeTimer);
      clearInterval(pgTimer);
      sampleNode();
      samplePostgres();
      await sampling;
      return { node, postgres };
    },
  };
}

/**
 * Whether memory stayed flat: the peak of the second half within 20% (and 64 MB) of the
 * first half's, as the `ingest-memory` scenario reads it.
 */
export function staysFlat(quarters: readonly number[]): boolean {
  const first = Math.max(quarters[0], quarters[1]);
  const second = Math.max(quarters[2], quarters[3]);
  return second <= Math.max(first * 1.2, first + 64);
}
