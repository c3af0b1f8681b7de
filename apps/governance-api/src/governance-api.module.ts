import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import {
  GovernanceExceptionFilter,
  linkageValidationPipe,
  GovernanceModule,
  GovernanceModuleOptions,
} from '@linkage/governance';
import { CqrsModule } from '@nestjs/cqrs';
import { analyticsQueryProviders } from '../../analytics-api/src';
import { ReleaseController, RELEASE_QUERIES } from './release/release.controller';
import { releaseReviewProviders } from './release/release.providers';
import { AuditController } from './audit/audit.controller';
import { DATABASE, HealthController } from './health/health.controller';
import {
  DEAD_LETTER_WATCH_OPTIONS,
  DeadLetterWatchLifecycle,
  type DeadLetterWatchOptions,
} from './dead-letters/dead-letter-watch';

@Module({})
export class GovernanceApiModule {
  static forRoot(
    options: GovernanceModuleOptions & { deadLetterWatch?: DeadLetterWatchOptions },
  ): DynamicModule {
    return {
      module: GovernanceApiModule,
      imports: [CqrsModule.forRoot(), GovernanceModule.forRoot(options)],
      controllers: [AuditController, HealthController, ReleaseController],
      providers: [
        ...releaseReviewProviders(options.db.sql),
        // The release requests' outputs, through the analytics queries' handlers and their gate.
        ...analyticsQueryProviders({ useExisting: RELEASE_QUERIES }),
        { provide: DATABASE, useValue: options.db },
        { provide: APP_FILTER, useClass: GovernanceExceptionFilter },
        { provide: APP_PIPE, useFactory: linkageValidationPipe },
        ...(options.deadLetterWatch
          ? [
              { provide: DEAD_LETTER_WATCH_OPTIONS, useValue: options.deadLetterWatch },
              DeadLetterWatchLifecycle,
            ]
          : []),
      ],
    };
  }
}
