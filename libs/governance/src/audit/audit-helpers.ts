import type { Actor } from '../access/roles';
import { AuditEntry, AuditParameters, OPT_OUT_PROCESSED_ACTION } from './audit-entry';
import type { AuditTrail } from './audit-trail';

/**
 * Records that National Data Opt-out events were applied (action `opt-out.processed`).
 * Carries counts only: never a person id, not even a pseudonym.
 */
export function auditOptOutProcessed(
  audit: AuditTrail,
  details: {
    /** The system or user applying them, e.g. `projector`. */
    actor?: string;
    optOutsRecorded: number;
    optOutsWithdrawn?: number;
    requestId?: string;
  },
): Promise<AuditEntry> {
  return audit.record({
    actor: details.actor ?? 'projector',
    role: null,
    purpose: 'opt-out',
    dsa: null,
    action: OPT_OUT_PROCESSED_ACTION,
    parameters: {
      optOutsRecorded: details.optOutsRecorded,
      optOutsWithdrawn: details.optOutsWithdrawn ?? 0,
    },
    outcome: 'ok',
    resultSize: details.optOutsRecorded + (details.optOutsWithdrawn ?? 0),
    requestId: details.requestId ?? null,
  });
}

/** Records an action done by an actor outside HTTP (CLI verbs, jobs), outcome `ok`. */
export function auditActorAction(
  audit: AuditTrail,
  actor: Actor,
  action: string,
  parameters: AuditParameters,
  result: { resultSize?: number | null; cellsSuppressed?: number | null } = {},
): Promise<AuditEntry> {
  return audit.record({
    actor: actor.user,
    role: actor.role,
    purpose: actor.purpose,
    dsa: actor.dsa,
    action,
    parameters,
    resultSize: result.resultSize ?? null,
    cellsSuppressed: result.cellsSuppressed ?? null,
    outcome: 'ok',
  });
}
