import { DynamicModule, Module } from '@nestjs/common';
import type { Database } from '@linkage/database';
import { type DisclosurePolicy, type PublishingPolicy } from '@linkage/domain';
import type { EventStore } from '@linkage/event-store';
import { GovernanceModule, ReleasedCellLedger } from '@linkage/governance';
import { CqrsModule } from '@nestjs/cqrs';
import { AnalyticsController } from './analytics/analytics.controller';
import { analyticsQueryProviders } from './analytics/analytics-query-bus';
import { AnalyticsQueries, configuredPublishingPolicy } from './analytics/analytics.queries';
import {
  ANALYTICS_DB,
  ANALYTICS_STORE,
  DEFAULT_STALL_THRESHOLD_SECONDS,
  HealthController,
  STALL_THRESHOLD_SECONDS,
} from './http/health.controller';
import { AREA_QUERIES, AreasController } from './areas/areas.controller';
import { AreaQueries } from './areas/areas.queries';
import { SEGMENT_QUERIES, SegmentsController } from './segments/segments.controller';
import { SegmentQueries } from './segments/segments.queries';
import {
  WELLBEING_DISTRIBUTION_QUERIES,
  WellbeingController,
} from './wellbeing/wellbeing.controller';
import { WellbeingDistributionQueries } from './wellbeing/wellbeing-distributions';

export interface AnalyticsModuleOptions {
  db: Database;
  store?: EventStore;
  jwtSecret?: Buffer;
  /** The publishing gate's policy (count rules alone are accepted for older callers). */
  disclosurePolicy?: PublishingPolicy | DisclosurePolicy;
  /** /health turns unhealthy when subscribers are held back longer than this (default 60 s). */
  stallThresholdSeconds?: number;
  /** `false` computes every answer afresh (see `AnalyticsQueries`); default true. */
  cacheComputations?: boolean;
  /** More modules on the same origin, e.g. the web page (`WebModule` from apps/web). */
  modules?: DynamicModule[];
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
      { cacheComputations: options.cacheComputations },
    );
    return {
      module: AnalyticsApiModule,
      imports: [
        CqrsModule.forRoot(),
        GovernanceModule.forRoot({ db: options.db, jwtSecret: options.jwtSecret }),
        // The web page and the audit routes it needs, when the caller mounts them here
        // (docs/ARCHITECTURE.md); passed in so that analytics-api does not import apps/web.
        ...(options.modules ?? []),
      ],
      controllers: [
        AnalyticsController,
        SegmentsController,
        AreasController,
        WellbeingController,
        HealthController,
      ],
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
        ...analyticsQueryProviders(analytics),
        {
          provide: SEGMENT_QUERIES,
          useValue: new SegmentQueries(options.db.sql, analytics),
        },
        {
          provide: AREA_QUERIES,
          useValue: new AreaQueries(options.db.sql, analytics),
        },
        {
          provide: WELLBEING_DISTRIBUTION_QUERIES,
          useValue: new WellbeingDistributionQueries(options.db.sql, analytics),
        },
      ],
    };
  }
}
