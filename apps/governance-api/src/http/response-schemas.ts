import { list, object, SUPPRESSED_CELLS, text } from '@linkage/governance';

/** The JSON bodies of the governance routes, for the OpenAPI document. */
const nullable = (type: 'string' | 'integer') => ({ type, nullable: true });

const AUDIT_ENTRY = object({
  sequence: { type: 'integer' },
  at: text('ISO time'),
  actor: text(),
  role: nullable('string'),
  purpose: nullable('string'),
  dsa: nullable('string'),
  action: text(),
  parameters: object({}, 'the request parameters (never data about people)'),
  resultSize: nullable('integer'),
  cellsSuppressed: nullable('integer'),
  outcome: text('allowed, denied or failed'),
  httpStatus: nullable('integer'),
  reason: nullable('string'),
  requestId: nullable('string'),
  prevHash: text(),
  hash: text(),
});

export const AUDIT_SEARCH_BODY = object({
  entries: list(AUDIT_ENTRY),
  total: { type: 'integer' },
  page: { type: 'integer' },
  pageSize: { type: 'integer' },
});

export const AUDIT_VERIFY_BODY = object({
  intact: { type: 'boolean' },
  entries: { type: 'integer' },
  firstBroken: object({ sequence: { type: 'integer' }, reason: text() }, 'absent when intact'),
  signedHead: {
    ...object({ sequence: { type: 'integer' }, signedAt: text() }),
    nullable: true,
  },
});

export const AUDIT_CSV_BODY = text(
  'The audit trail as CSV: sequence, at, actor, role, purpose, dsa, action, parameters, result_size, cells_suppressed, outcome, http_status, reason, request_id, prev_hash, hash',
);

export const MONTHLY_REPORT_BODY = object({
  month: text('YYYY-MM'),
  rows: list(
    object({
      actor: text(),
      purpose: nullable('string'),
      accesses: { type: 'integer' },
      denied: { type: 'integer' },
    }),
  ),
});

export const RELEASE_BODY = object({
  releaseId: text(),
  status: { type: 'string', enum: ['requested', 'approved', 'rejected'] },
  output: text('the analytics output, e.g. outcomes'),
  parameters: object({}),
  requestedBy: text(),
  dsa: text(),
  justification: text(),
  requestedAt: text(),
  reviewedBy: nullable('string'),
  reviewReason: nullable('string'),
  reviewedAt: nullable('string'),
  downloads: { type: 'integer' },
  gateReport: object({ policyVersion: text(), suppressed: SUPPRESSED_CELLS }),
});

export const RELEASE_LIST_BODY = object({ releases: list(RELEASE_BODY) });

export const RELEASE_FILE_BODY = object({
  release: RELEASE_BODY,
  body: object({}, 'the gated answer, with its provenance, exactly as reviewed'),
  csv: text('the same as CSV'),
});
