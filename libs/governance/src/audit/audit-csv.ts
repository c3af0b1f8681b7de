import { stringify } from 'csv-stringify/sync';
import type { AuditEntry } from './audit-entry';

/** Columns of an audit export, in order. */
export const AUDIT_CSV_COLUMNS = [
  'sequence',
  'at',
  'actor',
  'role',
  'purpose',
  'dsa',
  'action',
  'parameters',
  'result_size',
  'cells_suppressed',
  'outcome',
  'http_status',
  'reason',
  'request_id',
  'prev_hash',
  'hash',
] as const;

/** CSV lines for entries (the header first when asked), RFC 4180 quoting. */
export function auditCsv(entries: AuditEntry[], withHeader: boolean): string {
  return stringify(
    entries.map((e) => [
      e.sequence,
      e.at.toISOString(),
      e.actor,
      e.role ?? '',
      e.purpose ?? '',
      e.dsa ?? '',
      e.action,
      JSON.stringify(e.parameters),
      e.resultSize ?? '',
      e.cellsSuppressed ?? '',
      e.outcome,
      e.httpStatus ?? '',
      e.reason ?? '',
      e.requestId ?? '',
      e.prevHash,
      e.hash,
    ]),
    { header: withHeader, columns: [...AUDIT_CSV_COLUMNS] },
  );
}
