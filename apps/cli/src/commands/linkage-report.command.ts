import { Command } from 'commander';
import { openDatabase } from '@linkage/database';
import { linkageReport } from '../../../ingest/src/reports/linkage-report';

/** `linkage linkage-report`: match rates by source and record type. */
export function registerLinkageReportCommand(program: Command): void {
  program
    .command('linkage-report')
    .description('match rates by source and record type (NHS number, link key, unlinked)')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const db = await openDatabase();
      try {
        const report = await linkageReport(db.sql);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
        const lines = [
          'source     record type             records  by NHS no.  by link key  unlinked  match rate',
        ];
        for (const r of report.rows) {
          lines.push(
            `${r.source.padEnd(10)} ${r.recordType.padEnd(22)} ${String(r.records).padStart(8)} ${String(r.linkedByNhsNumber).padStart(11)} ${String(r.linkedByLinkKey).padStart(12)} ${String(r.unlinked).padStart(9)} ${pct(r.matchRate).padStart(11)}`,
          );
        }
        for (const s of report.bySource) {
          lines.push(`${s.source}: ${s.records} records, match rate ${pct(s.matchRate)}`);
        }
        lines.push(
          `registrations with a well-formed postcode not in the lookup table: ${report.registrationsWithPostcodeNotInLookup}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await db.close();
      }
    });
}
