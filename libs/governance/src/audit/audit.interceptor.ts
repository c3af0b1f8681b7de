import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { randomUUID } from 'node:crypto';
import { AUDIT_PARAMETERS_KEY, PUBLIC_KEY } from '../access/requires-permission.decorator';
import type { DeclaredParameters } from './audit-parameters';
import { governanceOf, GovernedRequest, httpOutcomeOf } from '../access/request-context';
import { requestParameters } from '../access/access-gate';
import { AuditTrail } from './audit-trail';
import { AuditOutcome } from './audit-entry';

/**
 * Writes one audit entry per governed API call, after the handler and BEFORE the response
 * leaves: outcome `ok` with the result size and cells suppressed the handler reported, or
 * `error` with the status the error maps to. Refusals are recorded by the guard. When the
 * entry cannot be written the call fails.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditTrail,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    if (
      this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return next.handle();
    }
    const http = context.switchToHttp();
    const req = http.getRequest<GovernedRequest>();
    const gov = governanceOf(req, http.getResponse());
    const declared = this.reflector.getAllAndOverride<DeclaredParameters | undefined>(
      AUDIT_PARAMETERS_KEY,
      [context.getHandler(), context.getClass()],
    );
    const parameters = requestParameters(req, declared);
    const intentId = randomUUID();
    const okStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (req.method === 'POST' ? 201 : 200);

    const write = async (
      outcome: AuditOutcome,
      status: number,
      reason: string | null,
      body?: unknown,
    ) => {
      const actor = gov.actor;
      await this.audit.record(
        {
          actor: actor?.user ?? 'anonymous',
          role: actor?.role ?? null,
          purpose: actor?.purpose ?? null,
          dsa: actor?.dsa ?? null,
          action: gov.action,
          parameters,
          resultSize:
            gov.resultSize ?? (outcome === 'ok' && Array.isArray(body) ? body.length : null),
          cellsSuppressed: gov.cellsSuppressed ?? null,
          outcome,
          httpStatus: status,
          reason,
          requestId: gov.requestId,
        },
        // Settled in the entry's own transaction: no separate delete per call.
        { settlesIntent: intentId },
      );
      gov.audited = true;
    };

    // The intent first: a call cut short by a crash still leaves a trace.
    const actor = gov.actor;
    const intent = this.audit.recordIntent(intentId, {
      actor: actor?.user ?? 'anonymous',
      role: actor?.role ?? null,
      purpose: actor?.purpose ?? null,
      dsa: actor?.dsa ?? null,
      action: gov.action,
      parameters,
      outcome: 'error',
      requestId: gov.requestId,
    });
    return from(intent).pipe(
      mergeMap(() => next.handle()),
      mergeMap(async (body) => {
        await write('ok', okStatus, null, body);
        return body;
      }),
      catchError((error: unknown) => {
        if (gov.audited) {
          return from(this.audit.settleIntent(intentId)).pipe(
            mergeMap(() => throwError(() => error)),
          );
        }
        const { status, reason } = httpOutcomeOf(error);
        return from(
          write(
            status >= 500 ? 'error' : status === 401 || status === 403 ? 'denied' : 'error',
            status,
            reason,
          ),
        ).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}
