import * as path from 'node:path';
import { auditActorAction } from '@linkage/governance';
import { runFileIngest, type IngestSummary } from '../../../ingest/src';
import { INGEST_ACTION } from '../commands/ingest.command';
import { demoSourceDir } from './generate';
import type { DemoRun } from './demo-run';
import type { PhaseClock } from './phase-clock';

/** Both sources' generated files through the ingest edge and the embedded writer, audited. */
export async function ingestSources(run: DemoRun, clock?: PhaseClock): Promise<IngestSummary[]> {
  const { runtime, audit, actor } = run;
  const summaries: IngestSummary[] = [];
  for (const source of ['liferooms', 'cipha'] as const) {
    const ingest = () =>
      runFileIngest({
        ...runtime,
        source,
        files: [path.join(demoSourceDir(run.dir), `${source}.ndjson`)],
        store: runtime.store,
        embeddedWriter: true,
      });
    const summary = clock ? await clock.time(`ingest ${source}`, ingest) : await ingest();
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
  return summaries;
}
