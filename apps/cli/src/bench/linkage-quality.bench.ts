import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { createLogger } from '@linkage/common';
import { openEventStore } from '@linkage/event-store';
import { Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { generatePopulation } from '@linkage/synthetic';
import { createInProcessTransport } from '@linkage/transport';
import { linkageQualityReport, type LinkerQuality } from '../../../event-writer/src';
import { runFileIngest } from '../../../ingest/src';
import { rowOf, type BenchRow } from './bench-report';
import { secondsSince, type BenchContext, type BenchScenario } from './bench-context';

const DEFAULT_COHORT = 6000;
const round4 = (n: number | null) => (n === null ? -1 : Math.round(n * 10_000) / 10_000);

/** A linker's figures as bench extras: overall, then recall by error kind and by record type. */
function extrasOf(q: LinkerQuality): Record<string, number> {
  const out: Record<string, number> = {
    precision: round4(q.overall.precision),
    recall: round4(q.overall.recall),
    f1: round4(q.overall.f1),
  };
  for (const [kind, c] of Object.entries(q.byErrorKind)) out[`recall:${kind}`] = round4(c.recall);
  for (const [type, c] of Object.entries(q.byRecordType)) {
    out[`precision:${type}`] = round4(c.precision);
    out[`recall:${type}`] = round4(c.recall);
  }
  return out;
}

/**
 * Linkage quality against the generator's truth, in the bench: the Life Rooms extract of a
 * generated population (cipha is not needed to link) ingested into a fresh database with the
 * embedded event writer (the timed part: encoding is at the edge, linking in the writer), then
 * `linkageQualityReport`: precision, recall and F1 by error kind and record type for the
 * baseline (deterministic keyed hash), the live decisions, and Fellegi-Sunter with prior and
 * EM-estimated weights (and EM of m with u from random pairs) at several thresholds. Counts of
 * records only.
 */
export const linkageQualityBench: BenchScenario = {
  name: 'linkage-quality',
  description:
    'precision/recall/F1 of linking records without an NHS number against the truth: baseline exact hash vs Fellegi-Sunter at several thresholds',
  sizeKind: 'count',
  defaultSize: DEFAULT_COHORT,
  sizeMeaning: 'cohort of the generated population (the default population when 6,000)',
  async run(size: number, ctx: BenchContext): Promise<BenchRow[]> {
    const population =
      size === DEFAULT_COHORT
        ? await ctx.population()
        : await (async () => {
            const dir = path.join(ctx.tmpDir, `linkage-quality-${size}`);
            return {
              dir,
              manifest: await generatePopulation({ progress: 'off', cohort: size }, dir),
            };
          })();
    const bench = (await ctx.freshPostgresql()) ?? (await ctx.freshPglite());
    const store = await openEventStore({ db: bench.db });
    try {
      const transport = createInProcessTransport();
      const start = process.hrtime.bigint();
      let records = 0;
      try {
        const summary = await runFileIngest({
          source: 'liferooms',
          files: [path.join(population.dir, population.manifest.files.liferooms)],
          transport,
          db: bench.db,
          logger: createLogger('bench', { level: 'warn' }),
          pseudonymiser: new Pseudonymiser({ key: randomBytes(32), keyId: 'bench' }),
          postcodes: loadPostcodeLookup(),
          store,
          embeddedWriter: true,
          progress: false,
        });
        records = summary.records;
      } finally {
        await transport.close();
      }
      const ingestSeconds = secondsSince(start);
      const reportStart = process.hrtime.bigint();
      const report = await linkageQualityReport(bench.db.sql, population.dir);
      const reportSeconds = secondsSince(reportStart);
      const rows: BenchRow[] = [
        rowOf(
          'linkage-quality',
          `ingest + link (${bench.kind})`,
          records,
          'records',
          ingestSeconds,
          {
            extra: {
              withoutNhsNumber: report.records,
              candidatePairs: report.candidatePairs,
              trueCandidateFound: report.trueCandidateFound,
            },
          },
        ),
      ];
      for (const q of report.results) {
        const linker = q.linker.startsWith('baseline')
          ? 'baseline exact hash'
          : q.linker.startsWith('live')
            ? 'live'
            : q.linker.includes('random pairs')
              ? 'FS EM m, random-pair u'
              : q.linker.includes('EM')
                ? 'FS EM weights'
                : 'FS prior weights';
        rows.push(
          rowOf(
            'linkage-quality',
            q.threshold === null ? linker : `${linker} t=${q.threshold}`,
            q.overall.records,
            'records',
            reportSeconds,
            { extra: extrasOf(q) },
          ),
        );
      }
      return rows;
    } finally {
      await store.close();
      await bench.dispose();
    }
  },
};
