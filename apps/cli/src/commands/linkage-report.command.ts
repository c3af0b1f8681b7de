import { Command } from 'commander';
import * as path from 'node:path';
import { dataDir } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import { linkageQualityReport, type LinkageQualityReport } from '../../../event-writer/src';
import { linkageReport } from '../../../ingest/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

/** The audit action of reading the linkage report. */
export const LINKAGE_REPORT_ACTION = 'read linkage-report';

/**
 * `linkage linkage-report`: match rates by source and record type (counts only). Needs
 * permission `ingest` (linkage quality is part of running ingest); audited.
 */
export function registerLinkageReportCommand(program: Command): void {
  program
    .command('linkage-report')
    .description(
      'match rates by source and record type (NHS number, link key, fuzzy match, unlinked); --quality: against the truth',
    )
    .option('--json', 'print one JSON object')
    .option(
      '--quality [population-dir]',
      "precision, recall and F1 of linking records without an NHS number, against the generator's truth (default: the demo's population)",
    )
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .action(
      async (opts: {
        json?: boolean;
        token?: string;
        purpose?: string;
        quality?: string | boolean;
      }) => {
        const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
        const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
        try {
          const governance = await openCliGovernance(db);
          await authorizeCli(actor, 'ingest', LINKAGE_REPORT_ACTION, {}, governance);
          if (opts.quality) {
            const dir =
              typeof opts.quality === 'string'
                ? opts.quality
                : path.join(dataDir(), 'demo', 'source');
            const quality = await linkageQualityReport(db.sql, dir);
            await auditCliRead(
              actor,
              LINKAGE_REPORT_ACTION,
              { quality: true },
              quality.results.length,
              {
                governance,
              },
            );
            process.stdout.write(
              opts.json ? `${JSON.stringify(quality)}\n` : formatQuality(quality),
            );
            return;
          }
          const report = await linkageReport(db.sql);
          await auditCliRead(actor, LINKAGE_REPORT_ACTION, {}, report.rows.length, { governance });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(report)}\n`);
            return;
          }
          const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
          const lines = [
            'source     record type             records  by NHS no.  by link key  by fuzzy  unlinked  match rate',
          ];
          for (const r of report.rows) {
            lines.push(
              `${r.source.padEnd(10)} ${r.recordType.padEnd(22)} ${String(r.records).padStart(8)} ${String(r.linkedByNhsNumber).padStart(11)} ${String(r.linkedByLinkKey).padStart(12)} ${String(r.linkedByFuzzyMatch).padStart(9)} ${String(r.unlinked).padStart(9)} ${pct(r.matchRate).padStart(11)}`,
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
      },
    );
}

const fmt = (x: number | null) => (x === null ? '   -  ' : x.toFixed(4));

/** The quality report as text: one line per linker and threshold, then the kinds and types. */
export function formatQuality(q: LinkageQualityReport): string {
  const lines = [
    `records without a usable NHS number: ${q.records}; with candidates ${q.withCandidates}; true person among candidates ${q.trueCandidateFound}; candidate pairs ${q.candidatePairs}`,
    `live thresholds: match >= ${q.liveThresholds.match}, clerical review >= ${q.liveThresholds.review}; EM: ${q.models.estimated.iterations} iterations on ${q.models.estimated.pairs} pairs, lambda ${q.models.estimated.lambda.toFixed(4)}`,
    '',
    'linker                                                        threshold  precision  recall     F1',
  ];
  for (const r of q.results) {
    lines.push(
      `${r.linker.padEnd(62)} ${String(r.threshold ?? '-').padStart(9)}  ${fmt(r.overall.precision)}     ${fmt(r.overall.recall)}     ${fmt(r.overall.f1)}`,
    );
  }
  for (const r of q.results.filter((x) => !x.linker.startsWith('Fellegi'))) {
    lines.push('', `${r.linker}, by error kind and record type:`);
    for (const [k, c] of [...Object.entries(r.byErrorKind), ...Object.entries(r.byRecordType)]) {
      lines.push(
        `  ${k.padEnd(24)} records ${String(c.records).padStart(6)}  precision ${fmt(c.precision)}  recall ${fmt(c.recall)}  F1 ${fmt(c.f1)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
