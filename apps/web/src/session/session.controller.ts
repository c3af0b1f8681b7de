import { Controller, Get, HttpException, Inject, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  actorFromClaims,
  AuditTrail,
  bearerToken,
  decideAccess,
  DsaRegistry,
  GOVERNANCE_CONFIG,
  governanceOf,
  isRole,
  isTokenRejection,
  Public,
  requestParameters,
  ROLE_PERMISSIONS,
  verifyToken,
  type GovernanceConfig,
  type GovernedRequest,
} from '@linkage/governance';

/** What the page shows after sign-in: who the token stands for and what it may open. */
export interface SessionView {
  user: string;
  role: string;
  purpose: string;
  dsa: string;
  dsaValidUntil: string | null;
  tokenExpiresAt: string;
  permissions: string[];
}

/**
 * Sign-in for the page: the token is checked by the same access gate as every API route, with
 * the permission the token's role exists for (an analyst's `read:outcomes`, an officer's
 * `read:audit`), so an expired token, a revoked DSA or a role the DSA does not allow is refused
 * here exactly as it would be on a data route. Marked public only because the permission depends
 * on the token; the decision and its audit entry (`session.sign-in`) are made here instead.
 */
@Controller('v1/session')
export class SessionController {
  constructor(
    private readonly registry: DsaRegistry,
    private readonly audit: AuditTrail,
    @Inject(GOVERNANCE_CONFIG) private readonly config: GovernanceConfig,
  ) {}

  @Get()
  @Public()
  async session(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionView> {
    const gov = governanceOf(req, res);
    const now = this.config.clock();
    const verified = verifyToken(
      bearerToken(req.headers.authorization),
      this.config.jwtSecret,
      now,
    );
    const subject = isTokenRejection(verified) ? verified : actorFromClaims(verified);
    const dsa = isTokenRejection(subject) ? undefined : await this.registry.get(subject.dsa);
    const permission =
      isTokenRejection(subject) || !isRole(subject.role)
        ? undefined
        : ROLE_PERMISSIONS[subject.role][0];
    const decision = decideAccess(subject, dsa, permission, now);
    const actor = decision.actor;
    await this.audit.record({
      actor: actor?.user ?? 'anonymous',
      role: actor?.role ?? null,
      purpose: actor?.purpose ?? null,
      dsa: actor?.dsa ?? null,
      action: 'session.sign-in',
      parameters: requestParameters(req),
      outcome: decision.allowed ? 'ok' : 'denied',
      httpStatus: decision.allowed ? 200 : decision.status,
      reason: decision.allowed ? null : decision.reason,
      requestId: gov.requestId,
    });
    if (!decision.allowed) {
      if (decision.status === 401) res.setHeader('www-authenticate', 'Bearer');
      throw new HttpException({ error: decision.error, reason: decision.reason }, decision.status);
    }
    const claims = verified as { exp: number };
    return {
      user: decision.actor.user,
      role: decision.actor.role,
      purpose: decision.actor.purpose,
      dsa: decision.actor.dsa,
      dsaValidUntil: dsa?.validUntil ?? null,
      tokenExpiresAt: new Date(claims.exp * 1000).toISOString(),
      permissions: [...ROLE_PERMISSIONS[decision.actor.role]],
    };
  }
}
