import * as os from 'node:os';
import { AccessDeniedError, ConfigurationError } from '@linkage/common';
import { Database, openDatabase } from '@linkage/database';
import {
  Actor,
  actorFromClaims,
  AuditEntry,
  AuditParameters,
  AuditTrail,
  decideAccess,
  DsaRegistry,
  isTokenRejection,
  loadJwtSecret,
  LOCAL_OPERATOR_DSA,
  Permission,
  verifyToken,
} from '@linkage/governance';

/** Purpose of the local operator when neither `--purpose` nor `LINKAGE_PURPOSE` is given. */
export const DEFAULT_OPERATOR_PURPOSE = 'operations';

/** An open governance handle for one CLI run: database, audit trail, DSA registry. */
export interface CliGovernance {
  db: Database;
  audit: AuditTrail;
  registry: DsaRegistry;
  secret: Buffer | undefined;
  close(): Promise<void>;
}

/**
 * The token secret for the CLI: the configured one, or the demo key when running on the
 * embedded database (no DATABASE_URL). Undefined when neither is available.
 */
export function cliJwtSecret(required = false): Buffer | undefined {
  try {
    return loadJwtSecret({ allowDemoKey: !process.env.DATABASE_URL });
  } catch (error) {
    if (required || !(error instanceof ConfigurationError)) throw error;
    return undefined;
  }
}

/** Opens the database and the governance schema (created when missing). Close it after use. */
export async function openCliGovernance(db?: Database): Promise<CliGovernance> {
  const database = db ?? (await openDatabase());
  const secret = cliJwtSecret();
  try {
    const audit = await AuditTrail.open(database.sql, { headSecret: secret });
    return {
      db: database,
      audit,
      registry: new DsaRegistry(database.sql),
      secret,
      close: async () => {
        if (!db) await database.close();
      },
    };
  } catch (error) {
    if (!db) await database.close();
    throw error;
  }
}

async function withGovernance<T>(
  given: CliGovernance | undefined,
  fn: (g: CliGovernance) => Promise<T>,
): Promise<T> {
  const g = given ?? (await openCliGovernance());
  try {
    return await fn(g);
  } finally {
    if (!given) await g.close();
  }
}

/**
 * Who the CLI acts as. With `--token` or `LINKAGE_TOKEN`: the token is verified exactly as the
 * API does (a rejected token is audited and throws AccessDeniedError `unauthenticated`), and
 * the run acts under its role, purpose and DSA. Otherwise the local operator: the OS user, role
 * admin, purpose `--purpose` / `LINKAGE_PURPOSE` / `operations`, DSA `local-operator`.
 */
export async function resolveCliActor(
  options: { token?: string; purpose?: string } = {},
): Promise<Actor> {
  const token = options.token ?? process.env.LINKAGE_TOKEN;
  if (token) {
    const verified = verifyToken(token, cliJwtSecret(true) as Buffer);
    if (isTokenRejection(verified)) {
      await withGovernance(undefined, (g) =>
        g.audit.record({
          actor: 'anonymous',
          action: 'cli.authenticate',
          outcome: 'denied',
          httpStatus: 401,
          reason: verified.rejected,
        }),
      );
      throw new AccessDeniedError(verified.rejected, 'unauthenticated');
    }
    return actorFromClaims(verified);
  }
  return {
    user: os.userInfo().username,
    role: 'admin',
    purpose: options.purpose ?? process.env.LINKAGE_PURPOSE ?? DEFAULT_OPERATOR_PURPOSE,
    dsa: LOCAL_OPERATOR_DSA,
    via: 'local-operator',
  };
}

/**
 * Applies the access gate (`decideAccess`, the same as the API's) to a CLI verb. A refusal is
 * audited (outcome `denied`, 403) and thrown as AccessDeniedError (exit code 4).
 */
export async function authorizeCli(
  actor: Actor,
  permission: Permission,
  action: string,
  parameters: AuditParameters = {},
  governance?: CliGovernance,
): Promise<void> {
  await withGovernance(governance, async (g) => {
    const dsa = actor.via === 'token' ? await g.registry.get(actor.dsa) : undefined;
    const decision = decideAccess(actor, dsa, permission, new Date());
    if (decision.allowed) return;
    await g.audit.record({
      actor: actor.user,
      role: actor.role,
      purpose: actor.purpose,
      dsa: actor.dsa,
      action,
      parameters,
      outcome: 'denied',
      httpStatus: decision.status,
      reason: decision.reason,
    });
    throw new AccessDeniedError(decision.reason, decision.error);
  });
}

/**
 * Audits a CLI read (outcome ok) with its parameters (never identifiers: refused) and result
 * size. Throws when the entry cannot be written, so the read fails with it.
 */
export function auditCliRead(
  actor: Actor,
  action: string,
  params: AuditParameters,
  resultSize: number | null,
  options: { cellsSuppressed?: number; governance?: CliGovernance } = {},
): Promise<AuditEntry> {
  return withGovernance(options.governance, (g) =>
    g.audit.record({
      actor: actor.user,
      role: actor.role,
      purpose: actor.purpose,
      dsa: actor.dsa,
      action,
      parameters: params,
      resultSize,
      cellsSuppressed: options.cellsSuppressed ?? null,
      outcome: 'ok',
    }),
  );
}
