import type { Response } from 'express';
import { reportResult, type GovernedRequest } from '@linkage/governance';
import { toCsv, wantsCsv } from './csv';

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
 */
export function answerPublished(
  req: GovernedRequest,
  res: Response,
  result: PublishedResult,
): unknown {
  reportResult(req, { resultSize: result.rows.length, cellsSuppressed: result.cellsSuppressed });
  const provenance = result.body.provenance as { publishingPolicy?: unknown } | undefined;
  if (provenance) res.setHeader('x-linkage-provenance', JSON.stringify(provenance));
  const policy = provenance?.publishingPolicy;
  const version =
    typeof policy === 'string' ? policy : (policy as { version?: string } | undefined)?.version;
  if (version) res.setHeader('x-linkage-policy-version', version);
  // Read here rather than as a @Headers() parameter, which OpenAPI would list as required.
  if (wantsCsv(String(req.headers.accept ?? ''))) {
    res.setHeader(
      'x-linkage-suppressed',
      suppressedHeader(result.suppressed ?? result.body.suppressed ?? []),
    );
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    return toCsv(result.rows);
  }
  return result.body;
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
