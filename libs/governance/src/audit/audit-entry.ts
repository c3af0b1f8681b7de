import { createHash } from 'node:crypto';
import { ValidationError } from '@linkage/common';

/**
 * Pure audit-trail rules: what an entry holds, how it is hashed into the chain, which parameters
 * are refused as identifiers, and how a chain is checked entry by entry. No I/O here.
 */

export type AuditOutcome = 'ok' | 'denied' | 'error';

/** JSON-like parameters of an access: filters, page, month... never identifiers. */
export type AuditParameterValue =
  string | number | boolean | null | AuditParameterValue[] | { [key: string]: AuditParameterValue };
export type AuditParameters = { [key: string]: AuditParameterValue };

/** What a caller records. Unknown who (refused before authentication): actor `anonymous`. */
export interface AuditEntryInput {
  actor: string;
  role?: string | null;
  purpose?: string | null;
  dsa?: string | null;
  /** Dotted action name, e.g. `audit.search`, `outcomes.read`, `dsa.added`, `opt-out.processed`. */
  action: string;
  parameters?: AuditParameters;
  resultSize?: number | null;
  cellsSuppressed?: number | null;
  outcome: AuditOutcome;
  httpStatus?: number | null;
  /** Stable reason code of a refusal or error (`token_expired`, `dsa_revoked`...). */
  reason?: string | null;
  requestId?: string | null;
}

/** A stored entry: the input plus its place in the chain. */
export interface AuditEntry {
  sequence: number;
  at: Date;
  actor: string;
  role: string | null;
  purpose: string | null;
  dsa: string | null;
  action: string;
  parameters: AuditParameters;
  resultSize: number | null;
  cellsSuppressed: number | null;
  outcome: AuditOutcome;
  httpStatus: number | null;
  reason: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Action name of processing a National Data Opt-out (recorded by projections). */
export const OPT_OUT_PROCESSED_ACTION = 'opt-out.processed';

const OUTCOMES: readonly AuditOutcome[] = ['ok', 'denied', 'error'];
const ACTION_PATTERN = /^[a-z0-9][a-z0-9.:_/ -]{0,199}$/i;

/**
 * Parameter keys that name an identifier (compared lower-case, without `_`, `-` or spaces).
 * Aggregate levels (`postcode_sector`, `postcode_district`, `year_of_birth`) stay allowed.
 */
const IDENTIFIER_KEYS = new Set([
  'nhsnumber',
  'nhsno',
  'nhs',
  'name',
  'givenname',
  'familyname',
  'forename',
  'forenames',
  'surname',
  'firstname',
  'lastname',
  'fullname',
  'dateofbirth',
  'dob',
  'birthdate',
  'postcode',
  'fullpostcode',
  'address',
  'email',
  'phone',
  'telephone',
  'mobile',
]);

/**
 * Ten digits (optionally 3-3-4 with spaces or dashes) standing alone: not part of a longer
 * number nor of a hex string such as a UUID or a hash (which often hold ten-digit runs).
 */
const NHS_NUMBER_SHAPE = /(^|[^0-9A-Za-z])\d{3}[ -]?\d{3}[ -]?\d{4}([^0-9A-Za-z]|$)/;
/** A full UK postcode (a sector such as `L9 2` does not match). */
const FULL_POSTCODE_SHAPE = /(^|[^A-Z0-9])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}([^A-Z0-9]|$)/i;

export interface ParameterProblem {
  field: string;
  reason: 'identifier_key' | 'identifier_value' | 'value_unsupported';
}

/** Every place where parameters hold (or name) an identifier, as JSON Pointers. */
export function findIdentifierProblems(parameters: unknown, pointer = ''): ParameterProblem[] {
  if (parameters === null || typeof parameters === 'boolean') return [];
  if (typeof parameters === 'number') {
    if (!Number.isFinite(parameters))
      return [{ field: pointer || '/', reason: 'value_unsupported' }];
    return looksIdentifying(String(parameters))
      ? [{ field: pointer || '/', reason: 'identifier_value' }]
      : [];
  }
  if (typeof parameters === 'string') {
    return looksIdentifying(parameters)
      ? [{ field: pointer || '/', reason: 'identifier_value' }]
      : [];
  }
  if (Array.isArray(parameters)) {
    return parameters.flatMap((v, i) => findIdentifierProblems(v, `${pointer}/${i}`));
  }
  if (typeof parameters === 'object') {
    return Object.entries(parameters as Record<string, unknown>).flatMap(([key, value]) => {
      const here = `${pointer}/${escapePointer(key)}`;
      if (IDENTIFIER_KEYS.has(key.toLowerCase().replace(/[\s_-]/g, ''))) {
        return [{ field: here, reason: 'identifier_key' as const }];
      }
      return findIdentifierProblems(value, here);
    });
  }
  return [{ field: pointer || '/', reason: 'value_unsupported' }];
}

function looksIdentifying(text: string): boolean {
  return NHS_NUMBER_SHAPE.test(text) || FULL_POSTCODE_SHAPE.test(text);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Checks an entry before it is recorded. Parameters that hold or name an identifier are refused
 * (ValidationError naming the field and reason, never the value): callers that pass through
 * user input (the API interceptor) strip them first with `sanitiseAuditParameters`.
 */
export function validateAuditInput(input: AuditEntryInput): void {
  const problems: { field: string; reason: string }[] = [];
  if (!input.actor || typeof input.actor !== 'string')
    problems.push({ field: '/actor', reason: 'required' });
  if (!ACTION_PATTERN.test(input.action ?? ''))
    problems.push({ field: '/action', reason: 'action_invalid' });
  if (!OUTCOMES.includes(input.outcome))
    problems.push({ field: '/outcome', reason: 'outcome_invalid' });
  for (const field of ['resultSize', 'cellsSuppressed', 'httpStatus'] as const) {
    const v = input[field];
    if (v != null && !(Number.isInteger(v) && v >= 0))
      problems.push({ field: `/${field}`, reason: 'not_a_count' });
  }
  // The who/why columns are labels, so they must not look like identifiers either.
  for (const field of [
    'actor',
    'role',
    'purpose',
    'dsa',
    'action',
    'reason',
    'requestId',
  ] as const) {
    const v = input[field];
    if (typeof v === 'string' && looksIdentifying(v))
      problems.push({ field: `/${field}`, reason: 'identifier_value' });
  }
  for (const p of findIdentifierProblems(input.parameters ?? {})) {
    problems.push({ field: `/parameters${p.field === '/' ? '' : p.field}`, reason: p.reason });
  }
  if (problems.length)
    throw new ValidationError({ record: { source: 'audit' }, ...problems[0] }, problems);
}

/**
 * Parameters with identifiers removed: identifier keys are dropped, identifier-shaped values
 * replaced by `[redacted]`, and the pointers of what was removed listed under `$redacted`.
 */
export function sanitiseAuditParameters(parameters: Record<string, unknown>): AuditParameters {
  const redacted: string[] = [];
  const clean = (value: unknown, pointer: string): AuditParameterValue | undefined => {
    if (value === undefined) return undefined;
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number' || typeof value === 'string') {
      if (findIdentifierProblems(value).length) {
        redacted.push(pointer);
        return '[redacted]';
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((v, i) => clean(v, `${pointer}/${i}`) ?? null);
    if (typeof value === 'object') {
      const out: AuditParameters = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const here = `${pointer}/${escapePointer(key)}`;
        if (findIdentifierProblems({ [key]: null }).length) {
          redacted.push(here);
          continue;
        }
        const c = clean(v, here);
        if (c !== undefined) out[key] = c;
      }
      return out;
    }
    redacted.push(pointer);
    return undefined;
  };
  const result = (clean(parameters, '') ?? {}) as AuditParameters;
  if (redacted.length) result.$redacted = redacted;
  return result;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const keys = Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha-256 (hex) over the canonical serialisation of the entry, its prev_hash included. */
export function hashEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const material = canonicalJson({
    v: 1,
    sequence: entry.sequence,
    at: entry.at.toISOString(),
    actor: entry.actor,
    role: entry.role,
    purpose: entry.purpose,
    dsa: entry.dsa,
    action: entry.action,
    parameters: entry.parameters,
    resultSize: entry.resultSize,
    cellsSuppressed: entry.cellsSuppressed,
    outcome: entry.outcome,
    httpStatus: entry.httpStatus,
    reason: entry.reason,
    requestId: entry.requestId,
    prevHash: entry.prevHash,
  });
  return createHash('sha256').update(material).digest('hex');
}

/** Builds the next entry of the chain (pure: time and the previous link are passed in). */
export function chainEntry(
  input: AuditEntryInput,
  previous: { sequence: number; hash: string } | undefined,
  at: Date,
): AuditEntry {
  const unhashed: Omit<AuditEntry, 'hash'> = {
    sequence: (previous?.sequence ?? 0) + 1,
    at,
    actor: input.actor,
    role: input.role ?? null,
    purpose: input.purpose ?? null,
    dsa: input.dsa ?? null,
    action: input.action,
    parameters: input.parameters ?? {},
    resultSize: input.resultSize ?? null,
    cellsSuppressed: input.cellsSuppressed ?? null,
    outcome: input.outcome,
    httpStatus: input.httpStatus ?? null,
    reason: input.reason ?? null,
    requestId: input.requestId ?? null,
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  return { ...unhashed, hash: hashEntry(unhashed) };
}

/**
 * Why verification stopped: `missing` (a sequence number is absent: deleted), `out_of_order`,
 * `hash_mismatch` (the entry was changed), `chain_broken` (its prev_hash is not the hash of the
 * entry before: something before it was rewritten), `truncated` (entries the signed head vouches
 * for are gone), `head_mismatch` (the entry at the signed head differs), `head_signature_invalid`.
 */
export type ChainBreakReason =
  | 'missing'
  | 'out_of_order'
  | 'hash_mismatch'
  | 'chain_broken'
  | 'truncated'
  | 'head_mismatch'
  | 'head_signature_invalid';

export interface ChainBreak {
  sequence: number;
  reason: ChainBreakReason;
}

/** Checks a chain one entry at a time, in sequence order, so large trails can be streamed. */
export class ChainVerifier {
  private expected = 1;
  private prevHash = GENESIS_HASH;
  private broken: ChainBreak | undefined;
  /** Entries seen so far. */
  entries = 0;
  /** The last entry seen (sequence and stored hash). */
  last: { sequence: number; hash: string } | undefined;

  /** Feeds the next entry; returns the first break once there is one. */
  check(entry: AuditEntry): ChainBreak | undefined {
    this.entries += 1;
    if (!this.broken) {
      if (entry.sequence !== this.expected) {
        this.broken = {
          sequence: this.expected,
          reason: entry.sequence > this.expected ? 'missing' : 'out_of_order',
        };
      } else if (hashEntry(entry) !== entry.hash) {
        this.broken = { sequence: entry.sequence, reason: 'hash_mismatch' };
      } else if (entry.prevHash !== this.prevHash) {
        this.broken = { sequence: entry.sequence, reason: 'chain_broken' };
      }
    }
    this.expected = entry.sequence + 1;
    this.prevHash = entry.hash;
    this.last = { sequence: entry.sequence, hash: entry.hash };
    return this.broken;
  }

  get firstBroken(): ChainBreak | undefined {
    return this.broken;
  }
}
