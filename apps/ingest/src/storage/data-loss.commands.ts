import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { openBusContext, type BusContext } from '@linkage/governance';
import type { Sql } from '@linkage/database';
import {
  resolveDataLossIncident,
  type DataLossIncident,
  type DataLossResolution,
} from './data-loss';
import { ensureIngestSchema } from './ingest-schema';

const INGEST_SQL = Symbol('INGEST_SQL');

/**
 * Close a data-loss incident once what was lost is re-ingested or the loss accepted
 * (`linkage data-loss resolve`): its consumer consumes again.
 */
export class ResolveDataLossCommand extends Command<DataLossIncident> {
  constructor(
    readonly incident: number,
    readonly reason: DataLossResolution,
    readonly by: string,
  ) {
    super();
  }
}

@CommandHandler(ResolveDataLossCommand)
export class ResolveDataLossHandler implements ICommandHandler<ResolveDataLossCommand> {
  constructor(@Inject(INGEST_SQL) private readonly sql: Sql) {}

  async execute({ incident, reason, by }: ResolveDataLossCommand): Promise<DataLossIncident> {
    await ensureIngestSchema(this.sql);
    return resolveDataLossIncident(this.sql, incident, { reason, by });
  }
}

/** The data-loss commands on a `CommandBus` of their own, for the CLI. `close()` when done. */
export function openDataLossCommandBus(sql: Sql): Promise<BusContext> {
  return openBusContext([{ provide: INGEST_SQL, useValue: sql }, ResolveDataLossHandler]);
}
