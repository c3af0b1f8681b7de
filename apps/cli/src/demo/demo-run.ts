import type { Actor, AuditTrail } from '@linkage/governance';
import type { Manifest } from '@linkage/synthetic';
import type { IngestRuntime } from '../../../ingest/src';

export const DEMO_DSA = 'DSA-LIFEROOMS-CIPHA-DEMO';
export const DEMO_PURPOSE = 'service-evaluation';

/** `linkage demo`'s options as commander hands them over. */
export interface DemoOptions {
  once?: boolean;
  cohort: string;
  seed: string;
  port: string;
  json?: boolean;
}

export type OnOptOutsProcessed = (c: { recorded: number; withdrawn: number }) => Promise<void>;

/** What every step of one demo run shares: the data, the open runtime and the audited operator. */
export interface DemoRun {
  dir: string;
  jwtKey: Buffer;
  manifest: Manifest;
  runtime: IngestRuntime;
  audit: AuditTrail;
  /** The demo acts as the local operator; every run and change it makes is audited. */
  actor: Actor;
  onOptOutsProcessed: OnOptOutsProcessed;
}
