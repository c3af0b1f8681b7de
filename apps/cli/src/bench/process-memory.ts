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
