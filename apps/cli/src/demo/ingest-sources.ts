import * as path from 'node:path';
import { auditActorAction } from '@linkage/governance';
import { runFileIngest, type IngestSummary } from '../../../ingest/src';
import { INGEST_ACTION } from '../commands/ingest.command';
import { demoSourceDir } from './generate';
import type { DemoRun } from './demo-run';

/** Both sources' generated files through the ingest edge and the embedded writer, audited. */
export async function ingestSources(run: DemoRun): Promise<IngestSummary[]> {
  const { runtime, audit, actor } = run;
  const summaries: IngestSummary[] = [];
  for (const source of ['liferooms', 'cipha'] as const) {
    const summary = await runFileIngest({
      ...runtime,
      source,
      files: [path.join(demoSourceDir(run.dir), `${source}.ndjson`)],
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
  return summaries;
}
