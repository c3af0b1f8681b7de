import { auditActorAction } from '@linkage/governance';
import { runMatching, type MatchingSummary } from '../../../projector/src';
import type { DemoRun } from './demo-run';

/** Matched controls for the cohort, audited. */
export async function match({ runtime, audit, actor }: DemoRun): Promise<MatchingSummary> {
  const matching = await runMatching(runtime.db.sql);
  await auditActorAction(
    audit,
    actor,
    'matching.run',
    { k: matching.settings.matching.k, seed: matching.settings.matching.seed },
    { resultSize: matching.users },
  );
  return matching;
}
