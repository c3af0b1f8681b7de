import type { Provider } from '@nestjs/common';
import type { Sql } from '@linkage/database';
import { ReleasedCellLedger, ReleaseReview } from '@linkage/governance';
import { AnalyticsQueries } from '../../../analytics-api/src';
import { RELEASE_COMMAND_HANDLERS } from './release.commands';
import { RELEASE_QUERIES } from './release.controller';

/**
 * What `ReleaseController` needs: the release review, the released-cell ledger it records
 * downloads in, the analytics queries that produce a requested output through the gate, and the
 * release command handlers.
 * The governance API mounts it; so does the web page, on the analytics origin.
 */
export function releaseReviewProviders(sql: Sql): Provider[] {
  return [
    { provide: ReleasedCellLedger, useValue: new ReleasedCellLedger(sql) },
    {
      provide: ReleaseReview,
      inject: [ReleasedCellLedger],
      useFactory: (ledger: ReleasedCellLedger) => new ReleaseReview(sql, ledger),
    },
    {
      provide: RELEASE_QUERIES,
      inject: [ReleasedCellLedger],
      useFactory: (ledger: ReleasedCellLedger) =>
        new AnalyticsQueries(sql, undefined, undefined, ledger),
    },
    // Requests and reviews are commands on the app's CommandBus (CqrsModule, imported once).
    ...RELEASE_COMMAND_HANDLERS,
  ];
}
