import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule, QueryBus } from '@nestjs/cqrs';
import type { AnalyticsQueries } from './analytics.queries';
import { ANALYTICS_QUERIES } from './analytics-query-support';
import { BalanceQueryHandler } from './balance.query';
import { BreakdownQueryHandler } from './breakdown.query';
import { CohortQueryHandler } from './cohort.query';
import { EventStudyQueryHandler } from './event-study.query';
import { OutcomesQueryHandler } from './outcomes.query';
import { WellbeingQueryHandler } from './wellbeing.query';

/** One handler per named analytics query; each resolves `ANALYTICS_QUERIES` for the gate. */
export const ANALYTICS_QUERY_HANDLERS = [
  CohortQueryHandler,
  OutcomesQueryHandler,
  EventStudyQueryHandler,
  BreakdownQueryHandler,
  WellbeingQueryHandler,
  BalanceQueryHandler,
];

/**
 * The providers that put the analytics queries on an app's `QueryBus` (with `CqrsModule.forRoot()`
 * imported once in that app): the handlers, sharing the `AnalyticsQueries` given (by value, or
 * by the token of another provider).
 */
export function analyticsQueryProviders(
  queries: AnalyticsQueries | { useExisting: symbol },
): Provider[] {
  return [
    'useExisting' in queries
      ? { provide: ANALYTICS_QUERIES, useExisting: queries.useExisting }
      : { provide: ANALYTICS_QUERIES, useValue: queries },
    ...ANALYTICS_QUERY_HANDLERS,
  ];
}

@Module({})
class AnalyticsQueryBusModule {
  static forQueries(queries: AnalyticsQueries): DynamicModule {
    return {
      module: AnalyticsQueryBusModule,
      imports: [CqrsModule.forRoot()],
      providers: analyticsQueryProviders(queries),
    };
  }
}

/** A query bus outside an HTTP app, e.g. for the CLI; `close()` when done. */
export interface AnalyticsQueryBus {
  bus: QueryBus;
  close(): Promise<void>;
}

/**
 * The analytics queries on a `QueryBus` of their own (a Nest application context without HTTP):
 * the CLI runs the same named queries, through the same handlers and gate, as the API.
 */
export async function openAnalyticsQueryBus(queries: AnalyticsQueries): Promise<AnalyticsQueryBus> {
  const app = await NestFactory.createApplicationContext(
    AnalyticsQueryBusModule.forQueries(queries),
    { logger: false, abortOnError: false },
  );
  return { bus: app.get(QueryBus), close: () => app.close() };
}
