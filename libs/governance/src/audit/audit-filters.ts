import { ValidationError } from '@linkage/common';
import type { AuditOutcome } from './audit-entry';
import type { AuditPageRequest, AuditSearchFilters } from './audit-trail';

/** Raw search options as they come from a query string or CLI flags. */
export interface RawAuditQuery {
  actor?: string;
  role?: string;
  purpose?: string;
  dsa?: string;
  action?: string;
  outcome?: string;
  requestId?: string;
  from?: string;
  to?: string;
  page?: string | number;
  pageSize?: string | number;
}

/** Parses and checks search options; errors name the field and reason, never the value. */
export function parseAuditQuery(raw: RawAuditQuery): {
  filters: AuditSearchFilters;
  page: AuditPageRequest;
} {
  const text = (field: keyof RawAuditQuery) => {
    const v = raw[field];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string')
      throw new ValidationError({ field: `/${field}`, reason: 'not_a_string' });
    return v;
  };
  const date = (field: 'from' | 'to') => {
    const v = text(field);
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime()))
      throw new ValidationError({ field: `/${field}`, reason: 'date_invalid' });
    return d;
  };
  const int = (field: 'page' | 'pageSize') => {
    const v = raw[field];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new ValidationError({ field: `/${field}`, reason: 'not_a_positive_integer' });
    return n;
  };
  const outcome = text('outcome');
  if (outcome !== undefined && !['ok', 'denied', 'error'].includes(outcome)) {
    throw new ValidationError({ field: '/outcome', reason: 'outcome_invalid' });
  }
  return {
    filters: {
      actor: text('actor'),
      role: text('role'),
      purpose: text('purpose'),
      dsa: text('dsa'),
      action: text('action'),
      outcome: outcome as AuditOutcome | undefined,
      requestId: text('requestId'),
      from: date('from'),
      to: date('to'),
    },
    page: { page: int('page'), pageSize: int('pageSize') },
  };
}
