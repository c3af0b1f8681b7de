import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import autocannon from 'autocannon';
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
 * `clients` concurrent clients for `seconds` seconds (autocannon, in this process: the load
 * generator shares the CPU with the server, as a co-located client would). One row per route:
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
      const latencies: number[] = [];
      let failures = 0;
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${api.url}${route}`,
            connections: clients,
            // A fixed number of requests (the small-scale check) waits for every answer however
            // loaded the machine; a timed window keeps autocannon's 10 s request timeout.
            ...(options.requests
              ? { amount: options.requests, timeout: 600 }
              : { duration: options.seconds }),
            headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          },
          (error, done) => (error ? reject(error) : resolve(done)),
        );
        instance.on('response', (_client, statusCode, _bytes, responseTime) => {
          latencies.push(responseTime);
          if (statusCode < 200 || statusCode >= 300) failures += 1;
        });
      });
      await untilIdle(db);
      latencies.sort((a, b) => a - b);
      const ms = (q: number) => Math.round(quantile(latencies, q) * 10) / 10;
      rows.push(
        rowOf('api-load', route, latencies.length, 'requests', result.duration, {
          extra: {
            clients,
            coldMs,
            p50ms: ms(0.5),
            p95ms: ms(0.95),
            p99ms: ms(0.99),
            non2xx: failures + result.errors + result.timeouts + (cold.ok ? 0 : 1),
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
