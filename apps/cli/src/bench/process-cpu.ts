import * as fs from 'node:fs';
import type { Sql } from '@linkage/database';

/** Linux's USER_HZ: `/proc/<pid>/stat` counts CPU time in these ticks (100 on every x86 kernel). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds a process has used from `/proc/<pid>/stat`: its own (`utime + stime`), plus, with
 * `reapedChildren`, what its exited and reaped children used (`cutime + cstime`). Undefined when
 * the process is gone or not on this machine.
 */
export function processCpuSeconds(pid: number, reapedChildren = false): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; the fields after it start past its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
  const field = (n: number) => Number(fields[n - 3]);
  const ticks = field(14) + field(15) + (reapedChildren ? field(16) + field(17) : 0);
  return ticks / TICKS_PER_SECOND;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const children = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
      out.push(...children.split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // a thread that ended while we read
    }
  }
  return out;
}

/**
 * A meter of everything one PostgreSQL server on this machine spends on CPU: the postmaster, its
 * live children (backends, WAL writer, checkpointer, autovacuum) and the children that already
 * exited (their time moves into the postmaster's `cutime` when it reaps them, so nothing is lost
 * or counted twice). Undefined when the server is not on this machine (or is PGlite, in this
 * process, whose time `process.cpuUsage` already counts).
 */
export async function postgresServerCpuMeter(
  sql: Sql,
): Promise<{ seconds(): number | undefined } | undefined> {
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const postmaster = row ? parentOf(row.pid) : undefined;
  if (!postmaster || processCpuSeconds(postmaster) === undefined) return undefined;
  const read = () => {
    const own = processCpuSeconds(postmaster, true);
    if (own === undefined) return undefined;
    return childrenOf(postmaster).reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), own);
  };
  return meterFrom(read);
}

/** A meter of the growth of a cumulative reading, from now (undefined when it cannot be read). */
function meterFrom(read: () => number | undefined): { seconds(): number | undefined } | undefined {
  const start = read();
  if (start === undefined) return undefined;
  return {
    seconds() {
      const now = read();
      return now === undefined ? undefined : Math.max(0, now - start);
    },
  };
}

/** This Node process's CPU seconds (every thread: the edge's workers, GC, PGlite) since the call. */
export function nodeCpuMeter(): { seconds(): number } {
  const start = process.cpuUsage();
  return {
    seconds() {
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1e6;
    },
  };
}

/** CPU seconds of a process tree (a process and every descendant alive now) since the call. */
export function processTreeCpuMeter(root: number): { seconds(): number | undefined } | undefined {
  const tree = (): number[] => {
    const all = [root];
    for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]));
    return all;
  };
  const read = () => {
    const own = processCpuSeconds(root, true);
    if (own === undefined) return undefined;
    return tree()
      .slice(1)
      .reduce((sum, pid) => sum + (processCpuSeconds(pid, true) ?? 0), own);
  };
  return meterFrom(read);
}
