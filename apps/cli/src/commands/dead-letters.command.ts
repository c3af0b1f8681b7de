import { Command } from 'commander';
import { openDatabase } from '@linkage/database';
import { listDeadLetters } from '../../../ingest/src/reports/dead-letters';

/** `linkage dead-letters`: rejected records by source and reason (record, field, reason only). */
export function registerDeadLettersCommand(program: Command): void {
  program
    .command('dead-letters')
    .description('list rejected records: source, record id, line, field and reason (never values)')
    .option('--source <source>', 'only this source')
    .option('--reason <reason>', 'only this reason code')
    .option('--limit <n>', 'at most this many (default 100)', (v) => Number.parseInt(v, 10), 100)
    .option('--json', 'one JSON object per line')
    .action(async (opts: { source?: string; reason?: string; limit: number; json?: boolean }) => {
      const db = await openDatabase();
      try {
        const letters = await listDeadLetters(db.sql, opts);
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
    });
}
