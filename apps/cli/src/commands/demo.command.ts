import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { INestApplication } from '@nestjs/common';
import { dataDir } from '@linkage/common';
import { settleAfterBulkLoad } from '@linkage/database';
import { createDemoKey, demoKeyPath, linkageSeconds } from '@linkage/pseudonymisation';
import {
  auditActorAction,
  auditOptOutProcessed,
  AuditTrail,
  DsaRegistry,
  ensureGovernanceSchema,
  type DsaDefinition,
  loadJwtSecret,
  mintToken,
} from '@linkage/governance';
import {
  DEFAULT_COHORT,
  DEFAULT_SEED,
  DEMO_THREATS,
  generatePopulation,
  type Manifest,
} from '@linkage/synthetic';
import { createProgress } from '@linkage/observability';
import {
  createIngestApp,
  linkageReport,
  openIngestRuntime,
  runFileIngest,
  type IngestRuntime,
  type IngestSummary,
} from '../../../ingest/src';
import { catchUp, runMatching, startProjector } from '../../../projector/src';
import { createAnalyticsApp, type AnalyticsApp } from '../../../analytics-api/src';
import { createGovernanceApp } from '../../../governance-api/src';
import { WebModule } from '../../../web/src';
import { resolveCliActor } from './cli-context';
import { INGEST_ACTION } from './ingest.command';
import { publishedSegments, runSegmentsCli, type PublishedSegment } from './segment.command';
import { SHIPPED_RULESETS } from '@linkage/segmentation';
import { gateMatchingSummary } from './demo-publication';

export const DEMO_DSA = 'DSA-LIFEROOMS-CIPHA-DEMO';
export const DEMO_PURPOSE = 'service-evaluation';

interface DemoOptions {
  once?: boolean;
  cohort: string;
  seed: string;
  port: string;
  json?: boolean;
}

interface DemoSummary {
  records: number;
  eventsStored: number;
  duplicates: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  linkRate: number | null;
  /** Seconds spent on fuzzy linkage: Bloom-filter encoding at the edge and linking in the writer. */
  fuzzyLinkageSeconds?: { encode: number; link: number };
  eventsProjected: number;
  /** Through the publishing gate, like every number about people. */
  cohort: number | null;
  matchedUsers: number | null;
  maxAbsSmdAfterMatching: number | null;
  publishingPolicyVersion: string;
  headline: HeadlineOutcome[];
  /** Segment sizes as published (through the publishing gate), as of the data's last day. */
  segments: PublishedSegment[];
  urls: {
    analytics: string;
    analyticsDocs: string;
    governance: string;
    ingest: string;
    /** The web page (served by the analytics app). */
    page: string;
  };
  tokens: { analyst: string; governanceOfficer: string; ingest: string };
  dsa: string;
  purpose: string;
  durationSeconds: number;
}

interface HeadlineOutcome {
  measure: string;
  did: number | null;
  ci95: [number, number] | null;
  nUsers: number | null;
  nControls: number | null;
  trueEffect?: number;
  /** Which diagnostics passed beside the estimate (balance, pre-trend, negative control). */
  diagnostics?: HeadlineDiagnostics | null;
}

interface HeadlineDiagnostics {
  balance: { passed: boolean };
  preTrend: { passed: boolean };
  negativeControl: { passed: boolean };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'generate the default population, run the whole pipeline on the embedded default and serve the APIs',
    )
    .option('--once', 'exit after printing the summary')
    .option('--cohort <n>', 'Life Rooms users in the synthetic population', String(DEFAULT_COHORT))
    .option('--seed <seed>', 'generator seed', DEFAULT_SEED)
    .option(
      '--port <port>',
      'first of three API ports (analytics, governance, ingest); 0 for any free ones',
      '3000',
    )
    .option('--json', 'print the summary as one JSON object on the last line of stdout')
    .action(async (options: DemoOptions) => {
      await runDemo(options);
    });
}

async function runDemo(options: DemoOptions): Promise<void> {
  const started = Date.now();
  const dir = dataDir();
  fs.mkdirSync(dir, { recursive: true });
  // The demo makes and keeps its own keys; outside the demo, keys must be configured.
  if (!fs.existsSync(demoKeyPath(dir))) createDemoKey(dir);
  // The same reader as every other verb, so tokens and the audit head agree across reruns.
  const jwtKey = loadJwtSecret({ allowDemoKey: true });

  // The embedded database starts on its own thread while the population is generated here.
  const opening = openIngestRuntime('demo');
  opening.catch(() => undefined); // awaited below; a failure is thrown there
  let manifest: Manifest;
  try {
    manifest = await generateOnce(path.join(dir, 'demo', 'source'), options);
  } catch (error) {
    await (await opening.catch(() => undefined))?.close();
    throw error;
  }
  const runtime = await opening;
  const apps: INestApplication[] = [];
  let analytics: AnalyticsApp | undefined;
  try {
    // The demo acts as the local operator; every run and change it makes is audited.
    await ensureGovernanceSchema(runtime.db.sql);
    const audit = await AuditTrail.open(runtime.db.sql, { headSecret: jwtKey });
    const actor = await resolveCliActor({ purpose: DEMO_PURPOSE });
    const onOptOutsProcessed = async (c: { recorded: number; withdrawn: number }) => {
      await auditOptOutProcessed(audit, {
        actor: actor.user,
        optOutsRecorded: c.recorded,
        optOutsWithdrawn: c.withdrawn,
      });
    };
    const summaries: IngestSummary[] = [];
    for (const source of ['liferooms', 'cipha'] as const) {
      const summary = await runFileIngest({
        ...runtime,
        source,
        files: [path.join(dir, 'demo', 'source', `${source}.ndjson`)],
        store: runtime.store,
        embeddedWriter: true,
      });
      summaries.push(summary);
      await auditActorAction(
        audit,
        actor,
        INGEST_ACTION,
        {
          source,
          files: 1,
          ingestRunId: summary.ingestRunId,
          accepted: summary.accepted,
          duplicates: summary.duplicates,
          rejected: summary.rejected,
        },
        { resultSize: summary.records },
      );
    }
    await settleAfterBulkLoad(runtime.db);
    const projected = await project(runtime, onOptOutsProcessed);
    await settleAfterBulkLoad(runtime.db);
    await auditActorAction(
      audit,
      actor,
      'project.run',
      { rebuilt: false },
      { resultSize: projected },
    );
    const matching = await runMatching(runtime.db.sql);
    await auditActorAction(
      audit,
      actor,
      'matching.run',
      { k: matching.settings.matching.k, seed: matching.settings.matching.seed },
      { resultSize: matching.users },
    );

    // Segments as of the last day of the generated data (segment.command.ts), audited.
    const segmentRuns = await runSegmentsCli(
      runtime.db,
      [...SHIPPED_RULESETS],
      manifest.parameters.endDate,
      actor.user,
      { store: runtime.store },
    );
    for (const run of segmentRuns) {
      await auditActorAction(
        audit,
        actor,
        'segment.run',
        { ruleset: run.rulesetId, version: run.rulesetVersion, runId: run.runId, asOf: run.asOf },
        { resultSize: run.persons },
      );
    }

    const registry = new DsaRegistry(runtime.db.sql);
    const until = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    const dsaDefinition: DsaDefinition = {
      ref: DEMO_DSA,
      purposes: [DEMO_PURPOSE],
      roles: [
        'analyst',
        'governance-officer',
        'segmentation-job',
        'ingest',
        'linkage_officer',
        'admin',
        'output_checker',
      ],
      validUntil: until,
    };
    const { created } = await registry.add(dsaDefinition);
    await auditActorAction(audit, actor, created ? 'dsa.added' : 'dsa.amended', {
      ref: DEMO_DSA,
      purposes: DEMO_PURPOSE,
      until,
    });
    const demoUsers = [
      ['demo-analyst', 'analyst'],
      ['demo-governance-officer', 'governance-officer'],
      ['demo-ingest', 'ingest'],
    ] as const;
    const [analystToken, officerToken, ingestToken] = demoUsers.map(
      ([user, role]) =>
        mintToken({ user, role, purpose: DEMO_PURPOSE, dsa: DEMO_DSA, ttl: '8h' }, jwtKey).token,
    );
    for (const [user, role] of demoUsers) {
      await auditActorAction(audit, actor, 'token.minted', {
        user,
        role,
        dsa: DEMO_DSA,
        ttl: '8h',
      });
    }

    const basePort = Number(options.port);
    const portAfter = (offset: number) => (basePort === 0 ? 0 : basePort + offset);
    analytics = await createAnalyticsApp({
      modules: [WebModule.forRoot({ db: runtime.db })], // the web page on the analytics origin
      db: runtime.db,
      store: runtime.store,
      port: await freePort(basePort),
      jwtSecret: jwtKey,
    });
    const governance = await createGovernanceApp({
      db: runtime.db,
      port: await freePort(portAfter(1)),
      jwtSecret: jwtKey,
    });
    apps.push(governance);
    const ingest = await createIngestApp({
      ...runtime,
      store: runtime.store,
      embeddedWriter: true,
      rawTopics: false,
      governance: { jwtSecret: jwtKey },
    });
    await ingest.listen(await freePort(portAfter(2)), '127.0.0.1');
    apps.push(ingest);

    const headline = await headlineOutcomes(analytics.url!, analystToken, manifest);
    const segments = await publishedSegments(analytics.url!, analystToken);
    const gated = gateMatchingSummary(matching);
    const summary: DemoSummary = {
      records: summaries.reduce((n, s) => n + s.records, 0),
      eventsStored: summaries.reduce((n, s) => n + s.accepted, 0),
      duplicates: summaries.reduce((n, s) => n + s.duplicates, 0),
      rejected: summaries.reduce((n, s) => n + s.rejected, 0),
      rejectedByReason: mergeCounts(summaries.map((s) => s.rejectedByReason)),
      linkRate: await storedLinkRate(runtime),
      fuzzyLinkageSeconds: await fuzzyLinkageSeconds(),
      eventsProjected: projected,
      cohort: gated.cohort,
      matchedUsers: gated.matchedUsers,
      maxAbsSmdAfterMatching: gated.maxAbsSmdAfterMatching,
      publishingPolicyVersion: gated.policyVersion,
      headline,
      segments,
      urls: {
        analytics: analytics.url!,
        analyticsDocs: `${analytics.url}/docs`,
        page: `${analytics.url}/`,
        governance: (await governance.getUrl()).replace('[::1]', '127.0.0.1'),
        ingest: (await ingest.getUrl()).replace('[::1]', '127.0.0.1'),
      },
      tokens: { analyst: analystToken, governanceOfficer: officerToken, ingest: ingestToken },
      dsa: DEMO_DSA,
      purpose: DEMO_PURPOSE,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    printSummary(summary, manifest, options.json === true);
    if (!options.once) {
      // Records posted to the ingest API while serving reach the read models too.
      const projector = startProjector({
        sql: runtime.db.sql,
        store: runtime.store,
        logger: runtime.logger,
        onOptOutsProcessed,
      });
      process.stderr.write('Serving; press Ctrl-C to stop.\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await projector.stop();
    }
  } finally {
    await analytics?.close();
    for (const app of apps.reverse()) await app.close();
    await runtime.close();
  }
}

/** Generates the default population once; a later demo with the same settings reuses it. */
async function generateOnce(out: string, options: DemoOptions): Promise<Manifest> {
  const manifestFile = path.join(out, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const existing = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    const p = existing.parameters;
    const threats = p.threats ?? { dipShare: 0, driftSd: 0 };
    if (
      p.cohort === Number(options.cohort) &&
      p.seed === options.seed &&
      threats.dipShare === DEMO_THREATS.dipShare &&
      threats.driftSd === DEMO_THREATS.driftSd
    )
      return existing;
  }
  fs.mkdirSync(out, { recursive: true });
  // The demo population carries both threats to a naive design (pre-index dip, drifting need).
  return generatePopulation(
    { cohort: Number(options.cohort), seed: options.seed, threats: DEMO_THREATS },
    out,
  );
}

async function project(
  runtime: IngestRuntime,
  onOptOutsProcessed: (c: { recorded: number; withdrawn: number }) => Promise<void>,
): Promise<number> {
  const progress = createProgress({ task: 'project', unit: 'events' });
  const total = await runtime.store.countAfter('');
  if (total !== undefined) progress.setTotal(total);
  try {
    const result = await catchUp({
      sql: runtime.db.sql,
      store: runtime.store,
      logger: runtime.logger,
      onBatch: (applied) => progress.increment(applied),
      onOptOutsProcessed,
    });
    return result.applied;
  } finally {
    progress.stop();
  }
}

async function headlineOutcomes(
  url: string,
  token: string,
  manifest: Manifest,
): Promise<HeadlineOutcome[]> {
  const out: HeadlineOutcome[] = [];
  for (const measure of ['crisis', 'ae'] as const) {
    const response = await fetch(`${url}/v1/outcomes?measure=${measure}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as Partial<HeadlineOutcome>;
    const truth = manifest.effects[measure];
    out.push({
      measure,
      did: body.did ?? null,
      ci95: body.ci95 ?? null,
      nUsers: body.nUsers ?? null,
      nControls: body.nControls ?? null,
      trueEffect: truth?.trueEffect,
      diagnostics: body.diagnostics ?? null,
    });
  }
  return out;
}

function mergeCounts(counts: Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) merged[k] = (merged[k] ?? 0) + v;
  return merged;
}

/**
 * Share of stored records attributed to a person, in percent, from the linkage index: the state
 * of the store, so a rerun that stores nothing new still reports it.
 */
async function storedLinkRate(runtime: IngestRuntime): Promise<number | null> {
  const report = await linkageReport(runtime.db.sql);
  const records = report.bySource.reduce((n, s) => n + s.records, 0);
  const linked = report.bySource.reduce(
    (n, s) => n + s.linkedByNhsNumber + s.linkedByLinkKey + s.linkedByFuzzyMatch,
    0,
  );
  return records === 0 ? null : Math.round((linked / records) * 10000) / 100;
}

/** Fuzzy linkage time in this process so far, from its counter. */
async function fuzzyLinkageSeconds(): Promise<{ encode: number; link: number }> {
  const { values } = await linkageSeconds.get();
  const of = (stage: string) => values.find((v) => v.labels.stage === stage)?.value ?? 0;
  return { encode: of('encode'), link: of('link') };
}

/** The diagnostics' verdicts, shown next to the headline estimate. */
function verdicts(d: HeadlineDiagnostics | null | undefined): string {
  if (!d) return '';
  const v = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  return `; balance ${v(d.balance.passed)}, pre-trend ${v(d.preTrend.passed)}, negative control ${v(d.negativeControl.passed)}`;
}

/** The preferred port when it is free, else any free port (0); port 0 asks for any. */
async function freePort(preferred: number): Promise<number> {
  if (preferred === 0) return 0;
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(0));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(preferred)));
  });
}

function printSummary(s: DemoSummary, manifest: Manifest, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const lines = [
    '',
    'linkage demo: done',
    `  records in           ${s.records}`,
    `  events stored        ${s.eventsStored} (duplicates ${s.duplicates})`,
    `  rejected             ${s.rejected}: ${Object.entries(s.rejectedByReason)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  planted dirt         ${JSON.stringify(
      Object.fromEntries(Object.entries(manifest.dirt.planted).map(([k, v]) => [k, v.count])),
    )}`,
    `  link rate            ${s.linkRate}%`,
    ...(s.fuzzyLinkageSeconds
      ? [
          `  fuzzy linkage        ${(s.fuzzyLinkageSeconds.encode + s.fuzzyLinkageSeconds.link).toFixed(1)} s (encoding ${s.fuzzyLinkageSeconds.encode.toFixed(1)} s, linking ${s.fuzzyLinkageSeconds.link.toFixed(1)} s)`,
        ]
      : []),
    `  cohort               ${s.cohort ?? 'suppressed'} (matched ${s.matchedUsers ?? 'suppressed'}; max |SMD| after matching ${s.maxAbsSmdAfterMatching ?? 'suppressed'}; publishing policy ${s.publishingPolicyVersion})`,
    ...s.headline.map(
      (h) =>
        `  ${h.measure.padEnd(20)} DiD ${fmt(h.did)} per person-year, 95% CI [${h.ci95?.map(fmt).join(', ')}], planted truth ${fmt(h.trueEffect === undefined ? null : -h.trueEffect)}${verdicts(h.diagnostics)}`,
    ),
    ...s.segments
      .filter((g) => g.parent === null)
      .map((g) => `  segment              ${g.id.padEnd(45)} ${g.size ?? 'suppressed'}`),
    `  web page             ${s.urls.page}  (sign in with a token below)`,
    `  analytics API        ${s.urls.analytics}  (OpenAPI: ${s.urls.analyticsDocs})`,
    `  governance API       ${s.urls.governance}`,
    `  ingest API           ${s.urls.ingest}`,
    `  DSA / purpose        ${s.dsa} / ${s.purpose}`,
    `  analyst token        ${s.tokens.analyst}`,
    `  officer token        ${s.tokens.governanceOfficer}`,
    `  ingest token         ${s.tokens.ingest}`,
    `  try                  curl -H "Authorization: Bearer $TOKEN" '${s.urls.analytics}/v1/outcomes?measure=crisis'`,
    `  ingest with          curl -H "Authorization: Bearer $INGEST_TOKEN" --data-binary @records.ndjson '${s.urls.ingest}/v1/ingest/liferooms'`,
    `  took                 ${s.durationSeconds} s`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

function fmt(n: number | null | undefined): string {
  return n === null || n === undefined ? 'n/a' : (Math.round(n * 1000) / 1000).toFixed(3);
}
