/** Who a caller is, as far as access is concerned. Any other value is refused. */
export const ROLES = [
  'ingest',
  'analyst',
  'segmentation-job',
  'governance-officer',
  /** Reviews candidate record links (clerical review): field similarities, never identifiers. */
  'linkage_officer',
  /** Reviews requests to release outputs from the secure setting (never their own). */
  'output_checker',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route needs. `read:outcomes` covers every health-data projection (cohort, outcomes,
 * areas, wellbeing); `read:segments` the System P style segments; `read:audit` the audit trail;
 * `release:*` the release review (request, review, read, download release files).
 */
export const PERMISSIONS = [
  'read:outcomes',
  'read:segments',
  'read:audit',
  'ingest',
  'admin:dsa',
  'admin:tokens',
  'admin:operations',
  'review:linkage',
  'release:request',
  'release:review',
  'release:read',
  'release:download',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** The DSA the local operator (a CLI user without a token) acts under; never registered. */
export const LOCAL_OPERATOR_DSA = 'local-operator';

/** The caller, once authenticated: from a verified token or the local operator of the CLI. */
export interface Actor {
  /** The user (token `sub`, or the OS user for the local operator). */
  user: string;
  role: Role;
  purpose: string;
  /** The DSA reference the caller acts under. */
  dsa: string;
  /** The token id (`jti`) when the actor came from a token. */
  tokenId?: string;
  via: 'token' | 'local-operator';
}
