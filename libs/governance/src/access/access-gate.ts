import { CanActivate, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Dsa } from '../dsa/dsa-registry';
import { DsaRegistry } from '../dsa/dsa-registry';
import { AuditTrail } from '../audit/audit-trail';
import { declaredAuditParameters, type DeclaredParameters } from '../audit/audit-parameters';
import { RefusalLimiter } from '../audit/refusal-limiter';
import { GOVERNANCE_CONFIG, GovernanceConfig } from '../governance-config';
import {
  actorFromClaims,
  bearerToken,
  isTokenRejection,
  TokenRejection,
  verifyToken,
} from '../tokens/token';
import { AUDIT_ACTION_KEY, PERMISSION_KEY, PUBLIC_KEY } from './requires-permission.decorator';
import { governanceOf, GovernedRequest } from './request-context';
import { Actor, isPermission, isRole, Permission, PERMISSIONS, Role } from './roles';

/**
 * THE access gate: every decision about who may do what is made here, deny by default.
 * `decideAccess` is the pure policy; `AccessGuard` applies it to HTTP routes and the CLI
 * (`apps/cli/src/commands/cli-context.ts`) applies it to verbs.
 */

/** Roles -> permissions. Analysts read health data, never the trail; officers the reverse. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  ingest: ['ingest'],
  analyst: [
    'read:outcomes',
    'read:segments',
    'release:request',
    'release:read',
    'release:download',
  ],
  'segmentation-job': ['read:segments'],
  // Oversees release requests too (who asked for what, the gate's report): never their numbers.
  'governance-officer': ['read:audit', 'release:read'],
  linkage_officer: ['review:linkage'],
  // Sees requests and the gate's report, decides; reads no health data and downloads nothing.
  output_checker: ['release:read', 'release:review'],
  admin: PERMISSIONS,
};

export type AccessDecision =
  | { allowed: true; actor: Actor }
  | {
      allowed: false;
      status: 401 | 403;
      error: 'unauthenticated' | 'forbidden';
      /** Stable reason code, e.g. `token_expired`, `role_lacks_permission`, `dsa_revoked`. */
      reason: string;
      /** Who was refused, when they could be identified (403 only). */
      actor?: Actor;
    };

/**
 * Decides one access. `subject` is the authenticated actor or why its token was rejected;
 * `dsa` the registered DSA the actor names (undefined when not registered); `required` the
 * route's permission (undefined = none declared = refused); `now` the time of the request.
 * The local operator (CLI without a token) is checked by role only: it holds no DSA.
 */
export function decideAccess(
  subject: Actor | TokenRejection,
  dsa: Dsa | undefined,
  required: Permission | undefined,
  now: Date,
): AccessDecision {
  if (isTokenRejection(subject)) {
    return { allowed: false, status: 401, error: 'unauthenticated', reason: subject.rejected };
  }
  const deny = (reason: string): AccessDecision => ({
    allowed: false,
    status: 403,
    error: 'forbidden',
    reason,
    actor: subject,
  });
  if (!isPermission(required)) return deny('permission_undeclared');
  if (!isRole(subject.role)) return deny('role_unknown');
  if (!ROLE_PERMISSIONS[subject.role].includes(required)) return deny('role_lacks_permission');
  if (subject.via === 'local-operator') return { allowed: true, actor: subject };
  const dsaProblem = checkDsa(subject, dsa, now);
  return dsaProblem ? deny(dsaProblem) : { allowed: true, actor: subject };
}

/**
 * Whether a DSA covers the actor now: registered, not revoked, not past its last day, and
 * allowing the actor's role and purpose. Returns the reason code of the first failure.
 */
export function checkDsa(actor: Actor, dsa: Dsa | undefined, now: Date): string | undefined {
  if (!dsa || dsa.ref !== actor.dsa) return 'dsa_not_registered';
  if (dsa.revokedAt && dsa.revokedAt.getTime() <= now.getTime()) return 'dsa_revoked';
  if (dsa.validUntil) {
    const endOfLastDay = Date.parse(`${dsa.validUntil}T00:00:00Z`) + 24 * 3600 * 1000;
    if (now.getTime() >= endOfLastDay) return 'dsa_expired';
  }
  if (!dsa.roles.includes(actor.role)) return 'dsa_role_not_allowed';
  if (!dsa.purposes.includes(actor.purpose)) return 'dsa_purpose_not_allowed';
  return undefined;
}

/**
 * The parameters of an HTTP call as audited: only the route's declared query and route
 * parameters, values checked (see `declaredAuditParameters`).
 */
export function requestParameters(req: GovernedRequest, declared?: DeclaredParameters) {
  const query =
    typeof req.query === 'object' && req.query !== null
      ? (req.query as Record<string, unknown>)
      : {};
  return declaredAuditParameters({ ...query, ...(req.params ?? {}) }, declared);
}

/**
 * The NestJS guard (registered globally by GovernanceModule). Routes marked `@Public()` pass;
 * every other route needs a bearer token, a DSA in force and the route's `@RequiresPermission`.
 * A refusal is audited (outcome `denied`) before the 401/403 `{ error, reason }` leaves.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly anonymousRefusals = new RefusalLimiter();

  constructor(
    private readonly reflector: Reflector,
    private readonly registry: DsaRegistry,
    private readonly audit: AuditTrail,
    @Inject(GOVERNANCE_CONFIG) private readonly config: GovernanceConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Governs HTTP APIs; message handlers (Kafka consumers) are not requests from people.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<GovernedRequest>();
    const gov = governanceOf(req, http.getResponse());
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(
      PERMISSION_KEY,
      targets,
    );
    const action = this.reflector.getAllAndOverride<string | undefined>(AUDIT_ACTION_KEY, targets);
    if (action) gov.action = action;
    gov.permission = permission;

    const now = this.config.clock();
    const verified = verifyToken(
      bearerToken(req.headers.authorization),
      this.config.jwtSecret,
      now,
    );
    const subject = isTokenRejection(verified) ? verified : actorFromClaims(verified);
    const dsa = isTokenRejection(subject) ? undefined : await this.registry.get(subject.dsa);
    const decision = decideAccess(subject, dsa, permission, now);
    if (decision.allowed) {
      gov.actor = decision.actor;
      return true;
    }
    // A refusal records the route and the reason only: parameters of a call that was not
    // allowed to run are not the trail's business (and may be anything a stranger typed).
    const refusal = {
      actor: decision.actor?.user ?? 'anonymous',
      role: decision.actor?.role ?? null,
      purpose: decision.actor?.purpose ?? null,
      dsa: decision.actor?.dsa ?? null,
      action: gov.action,
      parameters: {},
      outcome: 'denied' as const,
      httpStatus: decision.status,
      reason: decision.reason,
    };
    const admitted =
      decision.status === 401
        ? this.anonymousRefusals.admit(`${gov.action}\u0000${decision.reason}`, now.getTime())
        : { record: true as const };
    if (admitted.record) {
      await this.audit.record({ ...refusal, requestId: gov.requestId });
    } else if (admitted.flushAt !== undefined) {
      const key = `${gov.action}\u0000${decision.reason}`;
      const flush = setTimeout(
        () => {
          const count = this.anonymousRefusals.drain(key);
          if (count === 0) return;
          void this.audit
            .record({ ...refusal, parameters: { aggregated: count }, resultSize: count })
            .catch(() => undefined);
        },
        Math.max(0, admitted.flushAt - now.getTime()),
      );
      flush.unref();
    }
    gov.audited = true;
    if (decision.status === 401) http.getResponse().setHeader('www-authenticate', 'Bearer');
    throw new HttpException({ error: decision.error, reason: decision.reason }, decision.status);
  }
}
