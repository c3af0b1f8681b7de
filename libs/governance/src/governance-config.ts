/** Injection token of the resolved governance configuration. */
export const GOVERNANCE_CONFIG = Symbol('GOVERNANCE_CONFIG');

export interface GovernanceConfig {
  /** Verifies bearer tokens and signs the audit head. */
  jwtSecret: Buffer;
  clock: () => Date;
}
