import { auditActorAction, DsaRegistry, type DsaDefinition } from '@linkage/governance';
import { DEMO_DSA, DEMO_PURPOSE, type DemoRun } from './demo-run';

/** The demo's data-sharing agreement, valid for a year from today, for every role; audited. */
export async function registerDsa({ runtime, audit, actor }: DemoRun): Promise<void> {
  const registry = new DsaRegistry(runtime.db.sql);
  const until = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  const dsaDefinition: DsaDefinition = {
    ref: DEMO_DSA,
    purposes: [DEMO_PURPOSE],
    roles: [
      'analyst',
      'governance-officer',
      'segmentation-job',
      'ingest',
      'linkage_officer',
      'admin',
      'output_checker',
    ],
    validUntil: until,
  };
  const { created } = await registry.add(dsaDefinition);
  await auditActorAction(audit, actor, created ? 'dsa.added' : 'dsa.amended', {
    ref: DEMO_DSA,
    purposes: DEMO_PURPOSE,
    until,
  });
}
