import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Database } from '@linkage/database';
import { createLogger } from '@linkage/common';
import { AccessGuard } from './access/access-gate';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditTrail } from './audit/audit-trail';
import { DsaRegistry } from './dsa/dsa-registry';
import { GOVERNANCE_CONFIG, GovernanceConfig } from './governance-config';
import { loadJwtSecret } from './tokens/jwt-secret';

export interface GovernanceModuleOptions {
  db: Database;
  /** Default: `loadJwtSecret()`, allowing the demo key only on the embedded database. */
  jwtSecret?: Buffer;
  /** Default: `LINKAGE_AUDIT_HEAD_FILE` or `<data dir>/audit/head.json`. */
  auditHeadFile?: string;
  /** Sign the audit head after every N entries (default 100). */
  signHeadEvery?: number;
  clock?: () => Date;
}

@Injectable()
class AuditHeadOnShutdown implements OnApplicationShutdown {
  private readonly log = createLogger('governance');
  constructor(@Inject(AuditTrail) private readonly audit: AuditTrail) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.audit.signHead();
    } catch (error) {
      this.log.warn({ err: { name: (error as Error).name } }, 'audit head not signed at shutdown');
    }
  }
}

/**
 * Governance for an API: a global deny-by-default AccessGuard, a global AuditInterceptor
 * (one audit entry per call), and the AuditTrail and DsaRegistry for handlers to inject.
 * Creates the `governance` schema on start. Routes need `@RequiresPermission(...)` or
 * `@Public()`; see libs/governance/README.md.
 */
@Module({})
export class GovernanceModule {
  static forRoot(options: GovernanceModuleOptions): DynamicModule {
    return {
      module: GovernanceModule,
      global: true,
      providers: [
        {
          provide: GOVERNANCE_CONFIG,
          useFactory: (): GovernanceConfig => ({
            jwtSecret: options.jwtSecret ?? loadJwtSecret({ allowDemoKey: options.db.embedded }),
            clock: options.clock ?? (() => new Date()),
          }),
        },
        {
          provide: AuditTrail,
          inject: [GOVERNANCE_CONFIG],
          useFactory: (config: GovernanceConfig) =>
            AuditTrail.open(options.db.sql, {
              headFile: options.auditHeadFile,
              headSecret: config.jwtSecret,
              signEvery: options.signHeadEvery,
              clock: config.clock,
            }),
        },
        {
          provide: DsaRegistry,
          // Depends on AuditTrail so that the schema exists before the registry is used.
          inject: [AuditTrail],
          useFactory: () => new DsaRegistry(options.db.sql),
        },
        AuditHeadOnShutdown,
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
      exports: [GOVERNANCE_CONFIG, AuditTrail, DsaRegistry],
    };
  }
}
