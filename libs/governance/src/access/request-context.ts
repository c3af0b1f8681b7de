import { randomUUID } from 'node:crypto';
import { HttpException } from '@nestjs/common';
import { LinkageError } from '@linkage/common';
import type { Actor, Permission } from './roles';
import { findIdentifierProblems } from '../audit/audit-entry';

/** What governance keeps on each request between the guard, the handler and the audit. */
export interface GovernanceContext {
  requestId: string;
  action: string;
  permission?: Permission;
  actor?: Actor;
  resultSize?: number;
  cellsSuppressed?: number;
  /** Set once the call's audit entry is written, so no call is recorded twice. */
  audited?: boolean;
}

/** The parts of an HTTP request governance reads (Express shaped). */
export interface GovernedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  params?: Record<string, string>;
  route?: { path?: string };
  url?: string;
  governance?: GovernanceContext;
}

interface ResponseLike {
  setHeader(name: string, value: string): unknown;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The request's governance context, made on first use: the request id comes from the
 * `x-request-id` header when it is a plain token (and echoed back), otherwise a new UUID.
 */
export function governanceOf(req: GovernedRequest, res?: ResponseLike): GovernanceContext {
  if (req.governance) return req.governance;
  const header = req.headers['x-request-id'];
  const offered = Array.isArray(header) ? header[0] : header;
  const requestId =
    offered && REQUEST_ID_PATTERN.test(offered) && !findIdentifierProblems(offered).length
      ? offered
      : randomUUID();
  res?.setHeader('x-request-id', requestId);
  req.governance = {
    requestId,
    action: `${req.method} ${req.route?.path ?? req.url?.split('?')[0] ?? ''}`,
  };
  return req.governance;
}

/**
 * For handlers: report how many rows (or cells) a response holds and how many cells disclosure
 * control suppressed, so the call's audit entry carries them.
 */
export function reportResult(
  req: GovernedRequest,
  result: { resultSize?: number; cellsSuppressed?: number },
): void {
  const gov = governanceOf(req);
  if (result.resultSize !== undefined) gov.resultSize = result.resultSize;
  if (result.cellsSuppressed !== undefined) gov.cellsSuppressed = result.cellsSuppressed;
}

/** The HTTP status and reason code an error is answered with (and audited as). */
export function httpOutcomeOf(error: unknown): { status: number; error: string; reason: string } {
  if (error instanceof HttpException) {
    const body = error.getResponse();
    const reason =
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { reason?: unknown }).reason === 'string'
        ? (body as { reason: string }).reason
        : `http_${error.getStatus()}`;
    const code =
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { error?: unknown }).error === 'string'
        ? (body as { error: string }).error
        : 'http_error';
    return { status: error.getStatus(), error: code, reason };
  }
  if (error instanceof LinkageError) {
    const status =
      {
        validation_failed: 400,
        unauthenticated: 401,
        forbidden: 403,
        not_found: 404,
        concurrency_conflict: 409,
      }[error.code] ?? 500;
    return { status, error: error.code, reason: error.detail.reason };
  }
  return { status: 500, error: 'internal_error', reason: 'internal_error' };
}
