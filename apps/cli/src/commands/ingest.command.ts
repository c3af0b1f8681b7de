import * as os from 'node:os';
import { Command, Option } from 'commander';
import { ValidationError } from '@linkage/common';
import type { Source } from '@linkage/contracts';
import {
  AuditTrail,
  auditActorAction,
  loadJwtSecret,
  LOCAL_OPERATOR_DSA,
} from '@linkage/governance';
import { openIngestRuntime } from '../../../ingest/src/runtime/ingest-runtime';
import { runFileIngest } from '../../../ingest/src/pipeline/run-file-ingest';
import type { IngestSummary } from '../../../ingest/src/pipeline/ingest-summary';

/** `linkage ingest --source S FILE...`: stream files through the edge into the store. */
export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description(
      'ingest source extracts (NDJSON or CSV), wait until stored, print what the store did',
    )
    .addOption(
      new Option('--source <source>', 'source system')
        .choices(['liferooms', 'cipha'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--format <format>', 'input format (default: by extension)').choices([
        'ndjson',
        'csv',
      ]),
    )
    .option('--json', 'print the summary as one JSON object (last line of stdout)')
    .option(
      '--embedded-writer',
      'run the event writer in this process (always so with the in-process transport)',
    )
    .argument('<files...>', 'files to ingest')
    .action(
      async (
        files: string[],
        opts: {
          source: Source;
          format?: 'ndjson' | 'csv';
          json?: boolean;
          embeddedWriter?: boolean;
        },
      ) => {
        const runtime = await openIngestRuntime('ingest');
        try {
          const summary = await runFileIngest({
            ...runtime,
            source: opts.source,
            files,
            format: opts.format,
            embeddedWriter: opts.embeddedWriter || runtime.transport.kind === 'in-process',
            store: runtime.store,
          });
          await auditIngestRun(runtime.db, summary, files.length);
          process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : describe(summary));
          if (summary.records > 0 && summary.rejected === summary.records) {
            throw new ValidationError({ reason: 'every_record_rejected' });
          }
        } finally {
          await runtime.close();
        }
      },
    );
}

// The local operator, as governance defines it for CLI use without a token.
// Integration point: switch to `resolveCliActor` from cli-context.ts once it lands.
async function auditIngestRun(
  db: { sql: Parameters<typeof AuditTrail.open>[0]; embedded: boolean },
  summary: IngestSummary,
  files: number,
): Promise<void> {
  let headSecret: Buffer | undefined;
  try {
    headSecret = loadJwtSecret({ allowDemoKey: db.embedded });
  } catch {
    headSecret = undefined;
  }
  const audit = await AuditTrail.open(db.sql, { headSecret });
  await auditActorAction(
    audit,
    {
      user: os.userInfo().username,
      role: 'admin',
      purpose: process.env.LINKAGE_PURPOSE ?? 'operations',
      dsa: LOCAL_OPERATOR_DSA,
    } as Parameters<typeof auditActorAction>[1],
    'ingest.run',
    {
      source: summary.source,
      ingestRunId: summary.ingestRunId,
      files,
      accepted: summary.accepted,
      duplicates: summary.duplicates,
      rejected: summary.rejected,
    },
    { resultSize: summary.records },
  );
}

function describe(s: IngestSummary): string {
  const reasons = Object.entries(s.rejectedByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `    ${reason}: ${n}`)
    .join('\n');
  return [
    `ingest run ${s.ingestRunId} (${s.source}): ${s.records} records in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  accepted (newly stored): ${s.accepted}`,
    `  duplicates:              ${s.duplicates}`,
    `  rejected:                ${s.rejected}${reasons ? `\n${reasons}` : ''}`,
    `  linked: ${s.linked}, unlinked: ${s.unlinked}`,
    '',
  ].join('\n');
}
