import { settleAfterBulkLoad } from '@linkage/database';
import { auditActorAction } from '@linkage/governance';
import { createProgress } from '@linkage/observability';
import { catchUp } from '../../../projector/src';
import type { DemoRun } from './demo-run';
import type { PhaseClock } from './phase-clock';

/** The read models brought up to the store's end, audited; returns the events applied. */
export async function project(run: DemoRun, clock?: PhaseClock): Promise<number> {
  const { runtime, audit, actor } = run;
  const timed = <T>(phase: string, step: () => Promise<T>) =>
    clock ? clock.time(phase, step) : step();
  await timed('settle after ingest', () => settleAfterBulkLoad(runtime.db));
  const projected = await timed('project', () => catchUpWithProgress(run));
  await timed('settle after projection', () => settleAfterBulkLoad(runtime.db));
  await auditActorAction(
    audit,
    actor,
    'project.run',
    { rebuilt: false },
    { resultSize: projected },
  );
  return projected;
}

async function catchUpWithProgress({ runtime, onOptOutsProcessed }: DemoRun): Promise<number> {
  const progress = createProgress({ task: 'project', unit: 'events' });
  const total = await runtime.store.countAfter('');
  if (total !== undefined) progress.setTotal(total);
  try {
    const result = await catchUp({
      sql: runtime.db.sql,
      store: runtime.store,
      logger: runtime.logger,
      onBatch: (applied) => progress.increment(applied),
      onOptOutsProcessed,
      // A fresh demo folder fills empty read models (a rerun of the same folder resumes).
      bulkLoad: true,
    });
    return result.applied;
  } finally {
    progress.stop();
  }
}
