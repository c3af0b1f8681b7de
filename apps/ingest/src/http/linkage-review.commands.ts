import { Inject, ServiceUnavailableException } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { openBusContext, type BusContext } from '@linkage/governance';
import type { Database } from '@linkage/database';
import type { EventStore } from '@linkage/event-store';
import {
  decidePersonMergeCommand,
  decideReview,
  type PersonMergeResult,
  type ReviewDecisionResult,
} from '../../../event-writer/src';

export const LINKAGE_REVIEW_DEPENDENCIES = Symbol('LINKAGE_REVIEW_DEPENDENCIES');

/** What the review commands write through: the database (linkage schema) and the event store. */
export interface LinkageReviewDependencies {
  db: Database;
  store?: EventStore;
}

/**
 * A linkage officer accepts or rejects a candidate link (`POST /v1/linkage/review/...`,
 * `linkage review decide`): the event writer's decision, appended as `RecordLinked` /
 * `RecordUnlinked`.
 */
export class DecideCandidateLinkCommand extends Command<ReviewDecisionResult> {
  constructor(
    readonly record: string,
    readonly candidate: string,
    readonly decision: 'accept' | 'reject',
    readonly at: Date,
  ) {
    super();
  }
}

/**
 * A linkage officer merges two NHS-numbered persons or splits a merge
 * (`POST /v1/linkage/review/persons/...`, `linkage review merge|split`).
 */
export class DecidePersonsCommand extends Command<PersonMergeResult> {
  constructor(
    readonly merged: string,
    readonly decision: 'merge' | 'split',
    readonly survivor: string,
    readonly reason: string,
    readonly at: Date,
  ) {
    super();
  }
}

function storeOf(deps: LinkageReviewDependencies): EventStore {
  if (!deps.store)
    throw new ServiceUnavailableException({ error: 'unavailable', reason: 'no_event_store' });
  return deps.store;
}

@CommandHandler(DecideCandidateLinkCommand)
export class DecideCandidateLinkHandler implements ICommandHandler<DecideCandidateLinkCommand> {
  constructor(
    @Inject(LINKAGE_REVIEW_DEPENDENCIES) private readonly deps: LinkageReviewDependencies,
  ) {}

  execute(command: DecideCandidateLinkCommand): Promise<ReviewDecisionResult> {
    return decideReview({
      db: this.deps.db,
      store: storeOf(this.deps),
      recordEventId: command.record,
      candidatePersonId: command.candidate,
      decision: command.decision,
      now: command.at,
    });
  }
}

@CommandHandler(DecidePersonsCommand)
export class DecidePersonsHandler implements ICommandHandler<DecidePersonsCommand> {
  constructor(
    @Inject(LINKAGE_REVIEW_DEPENDENCIES) private readonly deps: LinkageReviewDependencies,
  ) {}

  execute(command: DecidePersonsCommand): Promise<PersonMergeResult> {
    return decidePersonMergeCommand({
      db: this.deps.db,
      store: storeOf(this.deps),
      decision: command.decision,
      survivorId: command.survivor,
      mergedId: command.merged,
      reason: command.reason,
      now: command.at,
    });
  }
}

export const LINKAGE_REVIEW_COMMAND_HANDLERS = [DecideCandidateLinkHandler, DecidePersonsHandler];

/**
 * The review commands on a `CommandBus` of their own (a Nest application context without HTTP),
 * for the CLI: the same handlers as the ingest API's review routes. `close()` when done.
 */
export function openLinkageReviewCommandBus(deps: LinkageReviewDependencies): Promise<BusContext> {
  return openBusContext([
    { provide: LINKAGE_REVIEW_DEPENDENCIES, useValue: deps },
    ...LINKAGE_REVIEW_COMMAND_HANDLERS,
  ]);
}
