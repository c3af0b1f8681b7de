import { Command } from 'commander';
import { openDatabase } from '@linkage/database';
import { linkageReport } from '../../../ingest/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';

/** The audit action of reading the linkage report. */
export const LINKAGE_REPORT_ACTION = 'read linkage-report';

/**
 * `linkage linkage-report`: match rates by source and record type (counts only). Needs
 * permission `ingest` (linkage quality is part of running ingest); audited.
 */
export function registerLinkageReportCommand(program: Command): void {
  program
    .command('linkage-report')
    .description('match rates by source and record type (NHS number, link key, unlinked)')
    .option('--json', 'print one JSON object')
    .option(
      '--token <jwt>',
      'act under this token (default LINKAGE_TOKEN, else the local operator)',
    )
    .option('--purpose <purpose>', 'purpose of this use (local operator)')
    .action(async (opts: { json?: boolean; token?: string; purpose?: string }) => {
      const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
      const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
      try {
        const governance = await openCliGovernance(db);
        await authorizeCli(actor, 'ingest', LINKAGE_REPORT_ACTION, {}, governance);
        const report = await linkageReport(db.sql);
        await auditCliRead(actor, LINKAGE_REPORT_ACTION, {}, report.rows.length, { governance });
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
