import type { Response } from 'express';
import { reportResult, type GovernedRequest } from '@linkage/governance';
import { toCsv, wantsCsv } from './csv';
import { keptAnswerOf, representation } from './serialised-answer';

/** What every analytics route answers: a gated body, its CSV rows and what the gate withheld. */
export interface PublishedResult {
  body: Record<string, unknown> & { provenance?: unknown; suppressed?: readonly unknown[] };
  rows: ReadonlyArray<Record<string, string | number | null>>;
  cellsSuppressed: number;
  suppressed?: readonly unknown[];
}

const SUPPRESSED_HEADER_LIMIT = 4000;

/**
 * Answers a published result the same way on every route: reports its size and suppressed
 * cells to the audit, sends provenance and policy version as headers, and gives JSON, or CSV
 * with `Accept: text/csv` (the suppressed list then travels in `x-linkage-suppressed`).
 *
 * An answer shared by every asker of one gate decision is serialised once and its text written
 * again (serialised-answer.ts), byte for byte what the object would serialise to. The audit
 * report above still happens per request, and the audit entry is written by the interceptor
 * after this returns, before anything is sent.
 */
export function answerPublished(
  req: GovernedRequest,
  res: Response,
  result: PublishedResult,
): unknown {
  reportResult(req, { resultSize: result.rows.length, cellsSuppressed: result.cellsSuppressed });
  const keep = keptAnswerOf(result);
  const csv = wantsCsv(String(req.headers.accept ?? ''));
  if (!keep) {
    setProvenanceHeaders(res, provenanceHeaders(result));
    if (csv) {
      res.setHeader('x-linkage-suppressed', suppressedHeaderOf(result));
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      return toCsv(result.rows);
    }
    return result.body;
  }
  if (keep.provenance === undefined) Object.assign(keep, provenanceHeaders(result));
  setProvenanceHeaders(res, keep);
  if (csv) {
    const text = representation(res, keep.csv, () => toCsv(result.rows));
    keep.csv = { ...text, suppressed: keep.csv?.suppressed ?? suppressedHeaderOf(result) };
    res.setHeader('x-linkage-suppressed', keep.csv.suppressed);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    if (text.etag) res.setHeader('ETag', text.etag);
    return text.text;
  }
  // What Express's res.json would write: JSON.stringify of the body (no replacer, no spaces).
  keep.json = representation(res, keep.json, () => JSON.stringify(result.body));
  res.setHeader('content-type', 'application/json; charset=utf-8');
  if (keep.json.etag) res.setHeader('ETag', keep.json.etag);
  return keep.json.text;
}

function provenanceHeaders(result: PublishedResult): { provenance: string; policyVersion: string } {
  const provenance = result.body.provenance as { publishingPolicy?: unknown } | undefined;
  const policy = provenance?.publishingPolicy;
  const version =
    typeof policy === 'string' ? policy : (policy as { version?: string } | undefined)?.version;
  return { provenance: provenance ? JSON.stringify(provenance) : '', policyVersion: version ?? '' };
}

function setProvenanceHeaders(
  res: Response,
  headers: { provenance?: string; policyVersion?: string },
): void {
  if (headers.provenance) res.setHeader('x-linkage-provenance', headers.provenance);
  if (headers.policyVersion) res.setHeader('x-linkage-policy-version', headers.policyVersion);
}

function suppressedHeaderOf(result: PublishedResult): string {
  return suppressedHeader(result.suppressed ?? result.body.suppressed ?? []);
}

/** The suppressed list as a header value; long lists are cut (the JSON answer has them all). */
function suppressedHeader(suppressed: readonly unknown[]): string {
  const all = JSON.stringify(suppressed);
  if (all.length <= SUPPRESSED_HEADER_LIMIT) return all;
  const kept: unknown[] = [];
  for (const cell of suppressed) {
    if (JSON.stringify([...kept, cell]).length > SUPPRESSED_HEADER_LIMIT) break;
    kept.push(cell);
  }
  return JSON.stringify([...kept, { truncated: suppressed.length - kept.length }]);
}
