import { spawn, type ChildProcess } from 'node:child_process';
import { Command } from 'commander';
import { ConfigurationError } from '@linkage/common';
import { startEventWriter } from '../../../event-writer/src/event-writer';
import { createIngestApp } from '../../../ingest/src/http/ingest-app';
import { openIngestRuntime } from '../../../ingest/src/runtime/ingest-runtime';
import {
  DEFAULT_SEGMENT_SCHEDULE,
  startProjector,
  startScheduledSegmentation,
} from '../../../projector/src';
import { loadRuleset, SHIPPED_RULESETS } from '@linkage/segmentation';
import { AuditTrail, auditOptOutProcessed } from '@linkage/governance';
import { createAnalyticsApp } from '../../../analytics-api/src';
import { createGovernanceApp } from '../../../governance-api/src';

const SERVICES = [
  'ingest',
  'event-writer',
  'projector',
  'analytics-api',
  'governance-api',
] as const;
type Service = (typeof SERVICES)[number];

interface Ports {
  ingest: number;
  analytics: number;
  governance: number;
}

/**
 * `linkage serve`: the ingest HTTP API (with raw-topic consumers) and the event writer, together
 * in this process by default; `--services a,b` runs each named service in its own child process
 * (one named service runs in this process, so a signal to it reaches the service itself).
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the services (ingest, event-writer, projector, analytics-api, governance-api): all in one process, or each named one in its own',
    )
    .option('--services <list>', `comma-separated: ${SERVICES.join(', ')}`)
    .option('--port <port>', 'ingest HTTP port (default LINKAGE_INGEST_PORT or 3002)', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--analytics-port <port>', 'analytics API port (default 3000)', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--governance-port <port>', 'governance API port (default 3001)', (v) =>
      Number.parseInt(v, 10),
    )
    .action(
      async (opts: {
        services?: string;
        port?: number;
        analyticsPort?: number;
        governancePort?: number;
      }) => {
        const port: Ports = {
          ingest: opts.port ?? Number(process.env.LINKAGE_INGEST_PORT ?? 3002),
          analytics: opts.analyticsPort ?? Number(process.env.LINKAGE_ANALYTICS_PORT ?? 3000),
          governance: opts.governancePort ?? Number(process.env.LINKAGE_GOVERNANCE_PORT ?? 3001),
        };
        if (!opts.services) return serveInProcess([...SERVICES], port);
        const services = opts.services
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const s of services) {
          if (!(SERVICES as readonly string[]).includes(s)) {
            throw new ConfigurationError(`unknown service ${s}`, 'unknown_service');
          }
        }
        if (services.length === 1) return serveInProcess(services as Service[], port);
        return superviseChildren(services as Service[], port);
      },
    );
}

async function serveInProcess(services: Service[], port: Ports): Promise<void> {
  const runtime = await openIngestRuntime(services.join('+'));
  const log = runtime.logger;
  const stops: (() => Promise<void>)[] = [];
  if (services.includes('event-writer')) {
    const writer = await startEventWriter(runtime);
    stops.push(() => writer.stop());
  }
  if (services.includes('ingest')) {
    if (runtime.transport.kind === 'in-process' && !services.includes('event-writer')) {
      log.warn('in-process transport without the event writer here: nothing will be stored');
    }
    const app = await createIngestApp(runtime);
    await app.listen(port.ingest, '127.0.0.1');
    log.info(
      { port: (app.getHttpServer().address() as { port: number }).port },
      'ingest listening',
    );
    stops.unshift(() => app.close());
  }
  if (services.includes('projector')) {
    const audit = await AuditTrail.open(runtime.db.sql);
    const projector = startProjector({
      sql: runtime.db.sql,
      store: runtime.store,
      logger: log,
      // Processing a National Data Opt-out is itself audited.
      onOptOutsProcessed: async (c) => {
        await auditOptOutProcessed(audit, {
          actor: 'projector',
          optOutsRecorded: c.recorded,
          optOutsWithdrawn: c.withdrawn,
        });
      },
    });
    stops.push(() => projector.stop());
    // Segments kept current on a schedule (LINKAGE_SEGMENT_SCHEDULE: cron, or `off`).
    const cron = process.env.LINKAGE_SEGMENT_SCHEDULE ?? DEFAULT_SEGMENT_SCHEDULE;
    if (cron !== 'off') {
      const names = (process.env.LINKAGE_SEGMENT_RULESETS ?? SHIPPED_RULESETS.join(','))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const segmentation = await startScheduledSegmentation({
        sql: runtime.db.sql,
        store: runtime.store,
        rulesets: names.map(loadRuleset),
        cron,
        logger: log,
        onRun: async (run) => {
          await audit.record({
            actor: 'segmentation-scheduler',
            action: 'segment.run',
            parameters: {
              ruleset: run.rulesetId,
              version: run.rulesetVersion,
              runId: run.runId,
              asOf: run.asOf,
              assigned: run.assigned,
              removed: run.removed,
            },
            resultSize: run.persons,
            outcome: 'ok',
          });
        },
      });
      stops.unshift(() => segmentation.stop());
    }
  }
  if (services.includes('analytics-api')) {
    const analytics = await createAnalyticsApp({
      db: runtime.db,
      store: runtime.store,
      port: port.analytics,
    });
    log.info({ url: analytics.url }, 'analytics API listening');
    stops.unshift(() => analytics.close());
  }
  if (services.includes('governance-api')) {
    const governance = await createGovernanceApp({ db: runtime.db, port: port.governance });
    log.info({ port: port.governance }, 'governance API listening');
    stops.unshift(() => governance.close());
  }
  log.info({ services, transport: runtime.transport.kind }, 'serving');
  await new Promise<void>((resolve) => {
    const shutdown = () => resolve();
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
  for (const stop of stops) await stop();
  await runtime.close();
}

async function superviseChildren(services: Service[], port: Ports): Promise<void> {
  const children: ChildProcess[] = services.map((service) =>
    spawn(
      process.execPath,
      [
        process.argv[1],
        'serve',
        '--services',
        service,
        '--port',
        String(port.ingest),
        '--analytics-port',
        String(port.analytics),
        '--governance-port',
        String(port.governance),
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: process.env,
      },
    ),
  );
  const exited = children.map(
    (child) => new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1))),
  );
  const stopAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('SIGTERM', stopAll);
  process.once('SIGINT', stopAll);
  // One service ending ends the others: a half-running pipeline would silently store nothing.
  const first = await Promise.race(exited);
  stopAll();
  await Promise.all(exited);
  if (first !== 0) process.exitCode = first;
}
