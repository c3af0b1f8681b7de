import { DynamicModule, Module } from '@nestjs/common';
import type { Database } from '@linkage/database';
import { type DisclosurePolicy, type PublishingPolicy } from '@linkage/domain';
import type { EventStore } from '@linkage/event-store';
import { GovernanceModule, ReleasedCellLedger } from '@linkage/governance';
import { AnalyticsController, ANALYTICS_QUERIES } from './analytics/analytics.controller';
import { AnalyticsQueries, configuredPublishingPolicy } from './analytics/analytics.queries';
import { ANALYTICS_DB, ANALYTICS_STORE, HealthController } from './http/health.controller';
import { SEGMENT_QUERIES, SegmentsController } from './segments/segments.controller';
import { SegmentQueries } from './segments/segments.queries';

export interface AnalyticsModuleOptions {
  db: Database;
  store?: EventStore;
  jwtSecret?: Buffer;
  /** The publishing gate's policy (count rules alone are accepted for older callers). */
  disclosurePolicy?: PublishingPolicy | DisclosurePolicy;
}

@Module({})
export class AnalyticsApiModule {
  static forRoot(options: AnalyticsModuleOptions): DynamicModule {
    const policy = options.disclosurePolicy ?? configuredPublishingPolicy();
    const analytics = new AnalyticsQueries(
      options.db.sql,
      policy,
      'read_model',
      new ReleasedCellLedger(options.db.sql),
    );
    return {
      module: AnalyticsApiModule,
      imports: [GovernanceModule.forRoot({ db: options.db, jwtSecret: options.jwtSecret })],
      controllers: [AnalyticsController, SegmentsController, HealthController],
      providers: [
        { provide: ANALYTICS_DB, useValue: options.db },
        ...(options.store ? [{ provide: ANALYTICS_STORE, useValue: options.store }] : []),
        { provide: ANALYTICS_QUERIES, useValue: analytics },
        {
          provide: SEGMENT_QUERIES,
          useValue: new SegmentQueries(options.db.sql, analytics, policy),
        },
      ],
    };
  }
}
