import type { Provider } from '@nestjs/common';
import { openBusContext, type BusContext } from '@linkage/governance';
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

/**
 * The analytics queries on a `QueryBus` of their own (a Nest application context without HTTP):
 * the CLI runs the same named queries, through the same handlers and gate, as the API.
 */
export function openAnalyticsQueryBus(queries: AnalyticsQueries): Promise<BusContext> {
  return openBusContext(analyticsQueryProviders(queries));
}
