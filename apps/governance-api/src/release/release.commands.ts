import { Inject } from '@nestjs/common';
import type { Sql } from '@linkage/database';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import {
  openBusContext,
  ReleasedCellLedger,
  ReleaseReview,
  type BusContext,
  type Actor,
  type ReleaseView,
} from '@linkage/governance';
import {
  AnalyticsQueries,
  analyticsQueryProviders,
  produceReleaseOutput,
} from '../../../analytics-api/src';

/** What a release request asks for: an analytics output, its parameters, and why. */
export interface ReleaseAsk {
  output: string;
  parameters: Record<string, string | number>;
  justification: string;
}

/**
 * An analyst asks for an output to be released (`POST /v1/releases`, `linkage release request`):
 * the output is produced by its named analytics query through the gate, checked against and
 * recorded in the DSA's ledger, and the request becomes an event with the gate's report.
 */
export class RequestReleaseCommand extends Command<{
  release: ReleaseView;
  cellsSuppressed: number;
}> {
  constructor(
    readonly actor: Actor,
    readonly ask: ReleaseAsk,
  ) {
    super();
  }
}

@CommandHandler(RequestReleaseCommand)
export class RequestReleaseHandler implements ICommandHandler<RequestReleaseCommand> {
  constructor(
    @Inject(ReleaseReview) private readonly releases: ReleaseReview,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  async execute({ actor, ask }: RequestReleaseCommand) {
    const produced = await produceReleaseOutput(this.queries, ask.output, ask.parameters, {
      dsa: actor.dsa,
      output: `release request ${ask.output} ${JSON.stringify(ask.parameters)}`,
    });
    const release = await this.releases.request(actor, ask, produced);
    return { release, cellsSuppressed: produced.suppressed.length };
  }
}

/**
 * An output checker approves or rejects a release with a reason (`POST /v1/releases/{id}/review`,
 * `linkage release review`); the review's rules (never one's own request) are the domain's.
 */
export class ReviewReleaseCommand extends Command<ReleaseView> {
  constructor(
    readonly actor: Actor,
    readonly releaseId: string,
    readonly decision: 'approve' | 'reject',
    readonly reason: string,
  ) {
    super();
  }
}

@CommandHandler(ReviewReleaseCommand)
export class ReviewReleaseHandler implements ICommandHandler<ReviewReleaseCommand> {
  constructor(@Inject(ReleaseReview) private readonly releases: ReleaseReview) {}

  execute({ actor, releaseId, decision, reason }: ReviewReleaseCommand): Promise<ReleaseView> {
    return this.releases.review(actor, releaseId, decision, reason);
  }
}

export const RELEASE_COMMAND_HANDLERS = [RequestReleaseHandler, ReviewReleaseHandler];

/**
 * The release commands on a `CommandBus` of their own (a Nest application context without
 * HTTP), for the CLI: the same handlers as the governance API, the outputs produced by the same
 * analytics queries. `close()` when done.
 */
export function openReleaseCommandBus(
  sql: Sql,
  releases: ReleaseReview,
  ledger: ReleasedCellLedger,
): Promise<BusContext> {
  return openBusContext([
    { provide: ReleaseReview, useValue: releases },
    ...analyticsQueryProviders(new AnalyticsQueries(sql, undefined, undefined, ledger)),
    ...RELEASE_COMMAND_HANDLERS,
  ]);
}
