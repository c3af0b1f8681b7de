import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { Database } from '@linkage/database';
import type { EventStore } from '@linkage/event-store';
import { DsaRegistry, mintToken } from '@linkage/governance';
import { BREAKDOWN_DIMENSIONS, createAnalyticsApp } from '../../../analytics-api/src';
import { rowOf, type BenchRow } from './bench-report';

/** Concurrent clients of the load test (the target is set at 50). */
export const API_CLIENTS = 50;

/** The analytics API's routes under load: every estimate, breakdown and summary route. */
export function loadRoutes(): string[] {
  return [
    '/v1/cohort',
    '/v1/wellbeing',
    '/v1/matching/balance',
    ...['crisis', 'ae', 'gp', 'cost', 'nhs111'].map((m) => `/v1/outcomes?measure=${m}`),
    ...BREAKDOWN_DIMENSIONS.map((d) => `/v1/breakdowns/${d}?measure=ae`),
    '/health',
  ];
}

/** The `q`-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Serves the analytics API (real HTTP, real guard and audit) on `db` and hits each route with
 * `clients` concurrent clients for `seconds` seconds (autocannon, in a process of its own, as a
 * load generator is run: in this process it took the server's event loop for its own work). One
 * row per route:
 * the latency of one request alone first (`coldMs`: computed, nothing remembered yet), then
 * requests/s, p50/p95/p99 latency (ms) of the responses completed within the window, and
 * non-2xx answers.
 */
export async function loadAnalyticsApi(
  db: Database,
  store: EventStore,
  scratchDir: string,
  options: { seconds: number; clients?: number; routes?: string[]; requests?: number },
): Promise<BenchRow[]> {
  const clients = options.clients ?? API_CLIENTS;
  const jwtSecret = randomBytes(32);
  // The audit head is signed into the data dir by default: keep the bench out of ./.data.
  process.env.LINKAGE_AUDIT_HEAD_FILE ??= path.join(scratchDir, 'audit-head.json');
  const api = await createAnalyticsApp({ db, port: 0, store, jwtSecret });
  try {
    await new DsaRegistry(db.sql).add({
      ref: 'dsa-bench',
      purposes: ['evaluation'],
      roles: ['analyst'],
    });
    const { token } = mintToken(
      { user: 'bench', role: 'analyst', purpose: 'evaluation', dsa: 'dsa-bench' },
      jwtSecret,
    );
    const rows: BenchRow[] = [];
    for (const route of options.routes ?? loadRoutes()) {
      // One request alone first: the cold answer (computed, not yet remembered).
      const coldStart = process.hrtime.bigint();
      const cold = await fetch(`${api.url}${route}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      await cold.arrayBuffer();
      const coldMs = Math.round(Number(process.hrtime.bigint() - coldStart) / 1e5) / 10;
      const result = await runLoadClient({
        url: `${api.url}${route}`,
        token,
        clients,
        ...(options.requests ? { requests: options.requests } : { seconds: options.seconds }),
      });
      await untilIdle(db);
      rows.push(
        rowOf('api-load', route, result.latencies.length, 'requests', result.seconds, {
          extra: {
            clients,
            coldMs,
            p50ms: result.p50ms,
            p95ms: result.p95ms,
            p99ms: result.p99ms,
            non2xx: result.failures + (cold.ok ? 0 : 1),
          },
        }),
      );
    }
    return rows;
  } finally {
    await api.close();
  }
}

/**
 * Waits until the requests autocannon gave up on at the end have been served (their queries
 * still hold or queue for the pool): no other connection of this database busy, three polls
 * in a row. Keeps one route's backlog out of the next route's figures.
 */
async function untilIdle(db: Database): Promise<void> {
  const deadline = Date.now() + 120_000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) {
    const [row] = await db.sql<{ n: bigint | number }[]>`
      select count(*) as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`;
    quiet = Number(row.n) === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What one load-client run saw. */
export interface LoadClientResult {
  /** Latency of each response completed in the window, ms, ascending. */
  latencies: number[];
  p50ms: number;
  p95ms: number;
  p99ms: number;
  /** Non-2xx answers, errors and timeouts. */
  failures: number;
  seconds: number;
}

/**
 * The load client, run by `node -e` in a child process (plain JavaScript, so it runs the same
 * from the compiled CLI and under jest). It reads its settings from `LINKAGE_LOAD_CLIENT` and
 * prints one JSON line: every response's latency and the failures.
 */
const LOAD_CLIENT = `
const autocannon = require(process.env.LINKAGE_AUTOCANNON);
const o = JSON.parse(process.env.LINKAGE_LOAD_CLIENT);
const latencies = [];
let failures = 0;
const instance = autocannon(
  {
    url: o.url,
    connections: o.clients,
    headers: { authorization: 'Bearer ' + o.token, accept: 'application/json' },
    ...(o.requests ? { amount: o.requests, timeout: 600 } : { duration: o.seconds }),
  },
  (error, done) => {
    if (error) { process.stderr.write(String(error && error.stack || error)); process.exit(1); }
    process.stdout.write(JSON.stringify({
      latencies,
      failures: failures + done.errors + done.timeouts,
      seconds: done.duration,
    }) + '\\n');
  },
);
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  latencies.push(responseTime);
  if (statusCode < 200 || statusCode >= 300) failures += 1;
});
`;

/**
 * Hits `url` with `clients` concurrent clients (autocannon) from a child process, for `seconds`
 * or until `requests` answers (waiting for every answer however loaded the machine; a timed
 * window keeps autocannon's 10 s request timeout).
 */
export async function runLoadClient(options: {
  url: string;
  token: string;
  clients: number;
  seconds?: number;
  requests?: number;
}): Promise<LoadClientResult> {
  const child = spawn(process.execPath, ['-e', LOAD_CLIENT], {
    env: {
      ...process.env,
      LINKAGE_AUTOCANNON: require.resolve('autocannon'),
      LINKAGE_LOAD_CLIENT: JSON.stringify(options),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`the load client exited ${code}: ${err.trim().slice(0, 500)}`);
  const parsed = JSON.parse(out) as { latencies: number[]; failures: number; seconds: number };
  const latencies = [...parsed.latencies].sort((a, b) => a - b);
  const ms = (q: number) => Math.round(quantile(latencies, q) * 10) / 10;
  return {
    latencies,
    p50ms: ms(0.5),
    p95ms: ms(0.95),
    p99ms: ms(0.99),
    failures: parsed.failures,
    seconds: parsed.seconds,
  };
}
