import { spawn, type ChildProcess } from 'node:child_process';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigurationError } from '@linkage/common';
import { startEventWriter } from '../../../event-writer/src';
import { createIngestApp } from '../../../ingest/src';
import { openIngestRuntime } from '../../../ingest/src';
import {
  DEFAULT_SEGMENT_SCHEDULE,
  startProjector,
  startScheduledSegmentation,
} from '../../../projector/src';
import { loadRuleset, SHIPPED_RULESETS } from '@linkage/segmentation';
import { AuditTrail, auditOptOutProcessed } from '@linkage/governance';
import { createAnalyticsApp } from '../../../analytics-api/src';
import { createGovernanceApp } from '../../../governance-api/src';
import { WebModule } from '../../../web/src';

const SERVICES = [
  'ingest',
  'event-writer',
  'projector',
  'analytics-api',
  'governance-api',
] as const;
type Service = (typeof SERVICES)[number];

const DEFAULT_FIRST_PORT = 3000;

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`expected a port number from 0 to 65535, got '${value}'`);
  }
  return n;
}

/** The port `offset` after the first; port 0 (any free port) stays 0. */
function after(first: number, offset: number): number {
  return first === 0 ? 0 : first + offset;
}

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
    // --port means what it means for `linkage demo`: the first of the three API ports.
    .option(
      '--port <port>',
      'first of three API ports (analytics, governance, ingest = port, port+1, port+2); default 3000',
      portNumber,
    )
    .option('--analytics-port <port>', 'analytics API port (overrides --port)', portNumber)
    .option('--governance-port <port>', 'governance API port (overrides --port + 1)', portNumber)
    .option('--ingest-port <port>', 'ingest API port (overrides --port + 2)', portNumber)
    .action(
      async (opts: {
        services?: string;
        port?: number;
        analyticsPort?: number;
        governancePort?: number;
        ingestPort?: number;
      }) => {
        const env = (name: string) =>
          process.env[name] === undefined ? undefined : portNumber(process.env[name]!);
        const base = opts.port;
        const port: Ports = {
          analytics:
            opts.analyticsPort ?? base ?? env('LINKAGE_ANALYTICS_PORT') ?? DEFAULT_FIRST_PORT,
          governance:
            opts.governancePort ??
            (base === undefined ? env('LINKAGE_GOVERNANCE_PORT') : after(base, 1)) ??
            DEFAULT_FIRST_PORT + 1,
          ingest:
            opts.ingestPort ??
            (base === undefined ? env('LINKAGE_INGEST_PORT') : after(base, 2)) ??
            DEFAULT_FIRST_PORT + 2,
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
  const runtime = await openIngestRuntime(services.join('+'), {
    checkKey: services.includes('ingest'),
  });
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
      modules: [WebModule.forRoot({ db: runtime.db })], // the web page on the analytics origin
      db: runtime.db,
      store: runtime.store,
      port: port.analytics,
    });
    log.info({ url: analytics.url }, 'analytics API listening');
    stops.unshift(() => analytics.close());
  }
  if (services.includes('governance-api')) {
    const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
    const governance = await createGovernanceApp({
      db: runtime.db,
      port: port.governance,
      // On Kafka, the dead-letter topic is watched (a Nest microservice; dead-letter-watch.ts).
      ...(brokers?.length ? { deadLetterWatch: { brokers } } : {}),
    });
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
        '--ingest-port',
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
