import {
  auditOptOutProcessed,
  AuditTrail,
  ensureGovernanceSchema,
  type Actor,
} from '@linkage/governance';
import type { IngestRuntime } from '../../../ingest/src';
import { resolveCliActor } from '../commands/cli-context';
import { DEMO_PURPOSE, type OnOptOutsProcessed } from './demo-run';

/** The audit trail and the local operator the demo acts as, with the opt-out audit hook. */
export async function openOperator(
  runtime: IngestRuntime,
  jwtKey: Buffer,
): Promise<{ audit: AuditTrail; actor: Actor; onOptOutsProcessed: OnOptOutsProcessed }> {
  await ensureGovernanceSchema(runtime.db.sql);
  const audit = await AuditTrail.open(runtime.db.sql, { headSecret: jwtKey });
  const actor = await resolveCliActor({ purpose: DEMO_PURPOSE });
  const onOptOutsProcessed: OnOptOutsProcessed = async (c) => {
    await auditOptOutProcessed(audit, {
      actor: actor.user,
      optOutsRecorded: c.recorded,
      optOutsWithdrawn: c.withdrawn,
    });
  };
  return { audit, actor, onOptOutsProcessed };
}
