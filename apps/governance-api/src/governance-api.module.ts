import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import {
  GovernanceExceptionFilter,
  linkageValidationPipe,
  GovernanceModule,
  GovernanceModuleOptions,
  ReleasedCellLedger,
  ReleaseReview,
} from '@linkage/governance';
import { AnalyticsQueries } from '../../analytics-api/src';
import { ReleaseController, RELEASE_QUERIES } from './release/release.controller';
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
        { provide: ReleasedCellLedger, useValue: new ReleasedCellLedger(options.db.sql) },
        {
          provide: ReleaseReview,
          inject: [ReleasedCellLedger],
          useFactory: (ledger: ReleasedCellLedger) => new ReleaseReview(options.db.sql, ledger),
        },
        {
          provide: RELEASE_QUERIES,
          inject: [ReleasedCellLedger],
          useFactory: (ledger: ReleasedCellLedger) =>
            new AnalyticsQueries(options.db.sql, undefined, undefined, ledger),
        },
        { provide: DATABASE, useValue: options.db },
        { provide: APP_FILTER, useClass: GovernanceExceptionFilter },
        { provide: APP_PIPE, useFactory: linkageValidationPipe },
      ],
    };
  }
}
