import { DynamicModule, Module } from '@nestjs/common';
import type { Database } from '@linkage/database';
import { type DisclosurePolicy, type PublishingPolicy } from '@linkage/domain';
import type { EventStore } from '@linkage/event-store';
import { GovernanceModule, ReleasedCellLedger } from '@linkage/governance';
import { AnalyticsController, ANALYTICS_QUERIES } from './analytics/analytics.controller';
import { AnalyticsQueries, configuredPublishingPolicy } from './analytics/analytics.queries';
import {
  ANALYTICS_DB,
  ANALYTICS_STORE,
  DEFAULT_STALL_THRESHOLD_SECONDS,
  HealthController,
  STALL_THRESHOLD_SECONDS,
} from './http/health.controller';

export interface AnalyticsModuleOptions {
  db: Database;
  store?: EventStore;
  jwtSecret?: Buffer;
  /** The publishing gate's policy (count rules alone are accepted for older callers). */
  disclosurePolicy?: PublishingPolicy | DisclosurePolicy;
  /** /health turns unhealthy when subscribers are held back longer than this (default 60 s). */
  stallThresholdSeconds?: number;
}

@Module({})
export class AnalyticsApiModule {
  static forRoot(options: AnalyticsModuleOptions): DynamicModule {
    return {
      module: AnalyticsApiModule,
      imports: [GovernanceModule.forRoot({ db: options.db, jwtSecret: options.jwtSecret })],
      controllers: [AnalyticsController, HealthController],
      providers: [
        { provide: ANALYTICS_DB, useValue: options.db },
        {
          provide: STALL_THRESHOLD_SECONDS,
          useValue:
            options.stallThresholdSeconds ??
            (Number(process.env.LINKAGE_STALL_THRESHOLD_SECONDS) ||
              DEFAULT_STALL_THRESHOLD_SECONDS),
        },
        ...(options.store ? [{ provide: ANALYTICS_STORE, useValue: options.store }] : []),
        {
          provide: ANALYTICS_QUERIES,
          useValue: new AnalyticsQueries(
            options.db.sql,
            options.disclosurePolicy ?? configuredPublishingPolicy(),
            'read_model',
            new ReleasedCellLedger(options.db.sql),
          ),
        },
      ],
    };
  }
}
