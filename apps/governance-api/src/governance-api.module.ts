import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import {
  GovernanceExceptionFilter,
  linkageValidationPipe,
  GovernanceModule,
  GovernanceModuleOptions,
} from '@linkage/governance';
import { ReleaseController } from './release/release.controller';
import { releaseReviewProviders } from './release/release.providers';
import { AuditController } from './audit/audit.controller';
import { DATABASE, HealthController } from './health/health.controller';

@Module({})
export class GovernanceApiModule {
  static forRoot(options: GovernanceModuleOptions): DynamicModule {
    return {
      module: GovernanceApiModule,
      imports: [GovernanceModule.forRoot(options)],
      controllers: [AuditController, HealthController, ReleaseController],
      providers: [
        ...releaseReviewProviders(options.db.sql),
        { provide: DATABASE, useValue: options.db },
        { provide: APP_FILTER, useClass: GovernanceExceptionFilter },
        { provide: APP_PIPE, useFactory: linkageValidationPipe },
      ],
    };
  }
}
