import { Command, Option } from 'commander';
import { ValidationError } from '@linkage/common';
import type { Source } from '@linkage/contracts';
import { openIngestRuntime } from '../../../ingest/src';
import { runFileIngest } from '../../../ingest/src';
import type { IngestSummary } from '../../../ingest/src';
import { IngestRunFailedError } from '../../../ingest/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

/** The audit action of an ingest run: the same as `POST /v1/ingest/{source}`'s. */
export const INGEST_ACTION = 'ingest.run';

/**
 * `linkage ingest --source S FILE...`: stream files through the edge into the store. Governed
 * like `POST /v1/ingest/{source}`: the actor (token or local operator) needs permission
 * `ingest`; a refusal is audited as denied, a run as ok (or error when it fails).
 */
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
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .argument('<files...>', 'files to ingest')
    .action(
      async (
        files: string[],
        opts: {
          source: Source;
          format?: 'ndjson' | 'csv';
          json?: boolean;
          embeddedWriter?: boolean;
          token?: string;
          purpose?: string;
        },
      ) => {
        const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
        const runtime = await openIngestRuntime('ingest');
        try {
          const governance = await openCliGovernance(runtime.db);
          const params = { source: opts.source, files: files.length };
          // Refused before a single record is read.
          await authorizeCli(actor, 'ingest', INGEST_ACTION, params, governance);
          let summary: IngestSummary;
          try {
            summary = await runFileIngest({
              ...runtime,
              source: opts.source,
              files,
              format: opts.format,
              embeddedWriter: opts.embeddedWriter || runtime.transport.kind === 'in-process',
              store: runtime.store,
            });
          } catch (error) {
            // As the API does for a failed call: the attempt is on the trail, with a reason code.
            await governance.audit.record({
              actor: actor.user,
              role: actor.role,
              purpose: actor.purpose,
              dsa: actor.dsa,
              action: INGEST_ACTION,
              parameters: params,
              outcome: 'error',
              reason: errorReason(error),
            });
            // A run that failed or was aborted still reports what the store holds.
            if (error instanceof IngestRunFailedError) {
              process.stdout.write(
                opts.json ? `${JSON.stringify(error.summary)}\n` : describe(error.summary),
              );
            }
            throw error;
          }
          await auditCliRead(
            actor,
            INGEST_ACTION,
            {
              ...params,
              ingestRunId: summary.ingestRunId,
              accepted: summary.accepted,
              duplicates: summary.duplicates,
              rejected: summary.rejected,
            },
            summary.records,
            { governance },
          );
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

/** A stable code for the trail: the error's own code when it has one, never its message. */
function errorReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(code) ? code : 'ingest_failed';
}

function describe(s: IngestSummary): string {
  const reasons = Object.entries(s.rejectedByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `    ${reason}: ${n}`)
    .join('\n');
  return [
    `ingest run ${s.ingestRunId} (${s.source}): ${s.status}${s.failure ? ` (${s.failure})` : ''}, ${s.records} records in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  accepted (newly stored): ${s.accepted}`,
    `  duplicates:              ${s.duplicates}`,
    `  rejected:                ${s.rejected}${reasons ? `\n${reasons}` : ''}`,
    ...s.firstRejections
      .slice(0, 5)
      .map(
        (r) =>
          `    line ${r.line ?? '?'}${r.recordId ? ` (${r.recordId})` : ''}: ${r.field || '(record)'} ${r.reason}`,
      ),
    `  linked: ${s.linked}, unlinked: ${s.unlinked}`,
    '',
  ].join('\n');
}
