import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Source } from '@linkage/contracts';
import { ingestRecords, type IngestDependencies, type RawRecord } from '../pipeline/ingest-run';
import type { IngestSummary } from '../pipeline/ingest-summary';

export const INGEST_DEPENDENCIES = Symbol('INGEST_DEPENDENCIES');

/**
 * Ingest one batch of a source's records (`POST /v1/ingest/{source}`): the records are read as
 * they arrive (a body is never buffered whole), validated and pseudonymised at the edge, and
 * published; the run's summary comes back. `signal` ends the run `aborted` (the client left).
 */
export class IngestBatchCommand extends Command<IngestSummary> {
  constructor(
    readonly source: Source,
    readonly records: AsyncIterable<RawRecord>,
    readonly signal: AbortSignal,
  ) {
    super();
  }
}

@CommandHandler(IngestBatchCommand)
export class IngestBatchHandler implements ICommandHandler<IngestBatchCommand> {
  constructor(@Inject(INGEST_DEPENDENCIES) private readonly deps: IngestDependencies) {}

  execute(command: IngestBatchCommand): Promise<IngestSummary> {
    return ingestRecords(command.records, this.deps, {
      source: command.source,
      origin: 'http',
      signal: command.signal,
    });
  }
}
