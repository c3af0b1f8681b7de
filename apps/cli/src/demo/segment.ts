import { auditActorAction } from '@linkage/governance';
import { SHIPPED_RULESETS } from '@linkage/segmentation';
import { runSegmentsCli } from '../commands/segment.command';
import type { DemoRun } from './demo-run';

/** Every shipped ruleset as of the last day of the generated data (segment.command.ts), audited. */
export async function segment({ runtime, manifest, audit, actor }: DemoRun): Promise<void> {
  const segmentRuns = await runSegmentsCli(
    runtime.db,
    [...SHIPPED_RULESETS],
    manifest.parameters.endDate,
    actor.user,
    { store: runtime.store },
  );
  for (const run of segmentRuns) {
    await auditActorAction(
      audit,
      actor,
      'segment.run',
      { ruleset: run.rulesetId, version: run.rulesetVersion, runId: run.runId, asOf: run.asOf },
      { resultSize: run.persons },
    );
  }
}
