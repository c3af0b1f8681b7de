import { NotFoundError, SharedReads, ValidationError } from '@linkage/common';
import type { Sql } from '@linkage/database';
import { isRole, Role } from '../access/roles';

/** A registered Data Sharing Agreement: which roles may use linked data for which purposes. */
export interface Dsa {
  ref: string;
  purposes: string[];
  roles: Role[];
  /** Last day (UTC, inclusive) the DSA is in force, `YYYY-MM-DD`; null = open-ended. */
  validUntil: string | null;
  createdAt: Date;
  updatedAt: Date;
  revokedAt: Date | null;
}

export interface DsaDefinition {
  ref: string;
  purposes: string[];
  roles: string[];
  validUntil?: string | null;
}

const REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PURPOSE_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a definition; errors name the field and a reason, never the value. */
export function validateDsaDefinition(def: DsaDefinition): DsaDefinition {
  const problems: { field: string; reason: string }[] = [];
  if (!REF_PATTERN.test(def.ref ?? '')) problems.push({ field: '/ref', reason: 'ref_invalid' });
  if (!def.purposes?.length) problems.push({ field: '/purposes', reason: 'required' });
  def.purposes?.forEach((p, i) => {
    if (!PURPOSE_PATTERN.test(p))
      problems.push({ field: `/purposes/${i}`, reason: 'purpose_invalid' });
  });
  if (!def.roles?.length) problems.push({ field: '/roles', reason: 'required' });
  def.roles?.forEach((r, i) => {
    if (!isRole(r)) problems.push({ field: `/roles/${i}`, reason: 'role_unknown' });
  });
  if (def.validUntil != null) {
    const parsed = new Date(`${def.validUntil}T00:00:00Z`);
    if (!DATE_PATTERN.test(def.validUntil) || Number.isNaN(parsed.getTime())) {
      problems.push({ field: '/validUntil', reason: 'date_invalid' });
    }
  }
  if (problems.length) throw new ValidationError(problems[0], problems);
  return def;
}

interface DsaRow {
  ref: string;
  purposes: string[];
  roles: string[];
  valid_until: string | null;
  created_at: Date;
  updated_at: Date;
  revoked_at: Date | null;
}

/** The DSA registry, table `governance.dsa` (see ensureGovernanceSchema). */
export class DsaRegistry {
  constructor(private readonly sql: Sql) {}

  /**
   * Registers a DSA, or amends a registered one that is not revoked (a revoked reference cannot
   * be brought back: register a new one). Returns the stored DSA and whether it was new.
   */
  async add(def: DsaDefinition, now: Date = new Date()): Promise<{ dsa: Dsa; created: boolean }> {
    validateDsaDefinition(def);
    const existing = await this.get(def.ref);
    if (existing?.revokedAt) {
      throw new ValidationError({ field: '/ref', reason: 'dsa_revoked' });
    }
    const rows = await this.sql<DsaRow[]>`
      insert into governance.dsa (ref, purposes, roles, valid_until, created_at, updated_at)
      values (${def.ref}, ${unique(def.purposes)}, ${unique(def.roles)}, ${def.validUntil ?? null},
              ${now}, ${now})
      on conflict (ref) do update set
        purposes = excluded.purposes, roles = excluded.roles,
        valid_until = excluded.valid_until, updated_at = excluded.updated_at
      where governance.dsa.revoked_at is null
      returning ref, purposes, roles, valid_until::text as valid_until, created_at, updated_at,
                revoked_at`;
    if (!rows.length) throw new ValidationError({ field: '/ref', reason: 'dsa_revoked' });
    return { dsa: toDsa(rows[0]), created: !existing };
  }

  /** Revokes a DSA from now on; tokens naming it are refused (403) from then. */
  async revoke(ref: string, now: Date = new Date()): Promise<Dsa> {
    const rows = await this.sql<DsaRow[]>`
      update governance.dsa set revoked_at = coalesce(revoked_at, ${now}), updated_at = ${now}
      where ref = ${ref}
      returning ref, purposes, roles, valid_until::text as valid_until, created_at, updated_at,
                revoked_at`;
    if (!rows.length) throw new NotFoundError('DSA');
    return toDsa(rows[0]);
  }

  /**
   * The DSA, read afresh for every caller (a revocation takes effect at once); concurrent callers
   * share a read begun after they asked.
   */
  get(ref: string): Promise<Dsa | undefined> {
    return this.reads.get(ref);
  }

  private readonly reads = new SharedReads((ref) => this.read(ref));

  private async read(ref: string): Promise<Dsa | undefined> {
    const rows = await this.sql<DsaRow[]>`
      select ref, purposes, roles, valid_until::text as valid_until, created_at, updated_at,
             revoked_at
      from governance.dsa where ref = ${ref}`;
    return rows.length ? toDsa(rows[0]) : undefined;
  }

  async list(): Promise<Dsa[]> {
    const rows = await this.sql<DsaRow[]>`
      select ref, purposes, roles, valid_until::text as valid_until, created_at, updated_at,
             revoked_at
      from governance.dsa order by ref`;
    return rows.map(toDsa);
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function toDsa(row: DsaRow): Dsa {
  return {
    ref: row.ref,
    purposes: row.purposes,
    roles: row.roles.filter(isRole),
    validUntil: row.valid_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revokedAt: row.revoked_at,
  };
}
