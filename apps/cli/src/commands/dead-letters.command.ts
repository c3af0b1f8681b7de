import { Command, InvalidArgumentError, Option } from 'commander';
import { REJECTION_REASONS, SOURCES } from '@linkage/contracts';
import { openDatabase } from '@linkage/database';
import { listDeadLetters } from '../../../ingest/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number from 1');
  return n;
}

/** The audit action of reading dead letters. */
export const DEAD_LETTERS_ACTION = 'read dead-letters';

/**
 * `linkage dead-letters`: rejected records by source and reason (record, field, reason only).
 * Needs permission `ingest` (the people who run ingest fix its rejections); audited.
 */
export function registerDeadLettersCommand(program: Command): void {
  program
    .command('dead-letters')
    .description('list rejected records: source, record id, line, field and reason (never values)')
    // Choices, so a mistyped filter is an error rather than a reassuring "0 dead letter(s)".
    .addOption(new Option('--source <source>', 'only this source').choices(SOURCES))
    .addOption(new Option('--reason <reason>', 'only this reason code').choices(REJECTION_REASONS))
    .option('--limit <n>', 'at most this many', positiveInteger, 100)
    .option('--json', 'one JSON object per line')
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .action(
      async (opts: {
        source?: string;
        reason?: string;
        limit: number;
        json?: boolean;
        token?: string;
        purpose?: string;
      }) => {
        const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
        const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
        try {
          const governance = await openCliGovernance(db);
          const params = {
            ...(opts.source !== undefined && { source: opts.source }),
            ...(opts.reason !== undefined && { reason: opts.reason }),
            limit: opts.limit,
          };
          await authorizeCli(actor, 'ingest', DEAD_LETTERS_ACTION, params, governance);
          const letters = await listDeadLetters(db.sql, opts);
          await auditCliRead(actor, DEAD_LETTERS_ACTION, params, letters.length, { governance });
          if (opts.json) {
            for (const l of letters) process.stdout.write(`${JSON.stringify(l)}\n`);
            return;
          }
          for (const l of letters) {
            process.stdout.write(
              `${l.at.toISOString()}  ${l.source}  record ${l.recordId ?? '-'}  line ${l.line ?? '-'}  ${l.field || '/'}  ${l.reason}\n`,
            );
          }
          process.stdout.write(`${letters.length} dead letter(s)\n`);
        } finally {
          await db.close();
        }
      },
    );
}
