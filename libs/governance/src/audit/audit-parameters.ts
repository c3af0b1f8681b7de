import { findIdentifierProblems, type AuditParameters } from './audit-entry';

/** The shapes a declared parameter's value may have; anything else is recorded as `[redacted]`. */
export type ParameterShape = 'code' | 'label' | 'date' | 'count';

/** The parameters a route declares for its audit entries: name -> shape. */
export type DeclaredParameters = Readonly<Record<string, ParameterShape>>;

const SHAPES: Record<ParameterShape, RegExp> = {
  /** An enum value or reference: `read:outcomes`, `ae_attendances`, `DSA-2024-01`. */
  code: /^[A-Za-z0-9_.:-]{1,64}$/,
  /** A short label (a user name, an action): letters, digits and a little punctuation. */
  label: /^[A-Za-z0-9 _.:@/-]{1,64}$/,
  /** A date or date-time, or a month. */
  date: /^\d{4}-\d{2}(-\d{2}([T ][0-9:.]{2,12}(Z|[+-]\d{2}:?\d{2})?)?)?$/,
  count: /^\d{1,9}$/,
};

/**
 * The parameters a route records when it declares none: the query vocabulary of the APIs. A
 * parameter outside this list (or the route's own) is never recorded, not even by name: a
 * name can be an identifier too (`?Jane_Doe=1`).
 */
export const DEFAULT_AUDIT_PARAMETERS: DeclaredParameters = {
  source: 'code',
  measure: 'code',
  dimension: 'code',
  before: 'date',
  after: 'date',
  month: 'date',
  from: 'date',
  to: 'date',
  page: 'count',
  pageSize: 'count',
  actor: 'label',
  role: 'code',
  purpose: 'code',
  dsa: 'code',
  action: 'label',
  outcome: 'code',
  requestId: 'code',
  format: 'code',
  status: 'code',
  id: 'code',
};

/**
 * The audited form of a call's query and route parameters: only declared names, each value
 * checked against its shape and for identifiers (`[redacted]` otherwise, its name listed under
 * `$redacted`); the number of undeclared ones under `$undeclared`, never their names or values.
 */
export function declaredAuditParameters(
  raw: Record<string, unknown>,
  declared: DeclaredParameters = DEFAULT_AUDIT_PARAMETERS,
): AuditParameters {
  const out: AuditParameters = {};
  const redacted: string[] = [];
  let undeclared = 0;
  for (const [name, value] of Object.entries(raw)) {
    const shape = Object.prototype.hasOwnProperty.call(declared, name) ? declared[name] : undefined;
    if (!shape) {
      undeclared += 1;
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    const ok = values.every(
      (v) =>
        (typeof v === 'string' || typeof v === 'number') &&
        SHAPES[shape].test(String(v)) &&
        findIdentifierProblems(String(v)).length === 0,
    );
    if (ok) out[name] = Array.isArray(value) ? values.map(String) : String(value);
    else {
      out[name] = '[redacted]';
      redacted.push(`/${name}`);
    }
  }
  if (redacted.length) out.$redacted = redacted;
  if (undeclared) out.$undeclared = undeclared;
  return out;
}
