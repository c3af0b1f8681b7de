import { Command, InvalidArgumentError, Option } from 'commander';
import { openDatabase } from '@linkage/database';
import {
  DATA_LOSS_RESOLUTIONS,
  ensureIngestSchema,
  listDataLoss,
  openDataLossCommandBus,
  ResolveDataLossCommand,
  type DataLossIncident,
  type DataLossResolution,
} from '../../../ingest/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { withActorOptions } from './actor-options';

export const DATA_LOSS_LIST_ACTION = 'ingest.data-loss.list';
export const DATA_LOSS_RESOLVE_ACTION = 'ingest.data-loss.resolve';

interface ActorOptions {
  token?: string;
  purpose?: string;
}

function incidentId(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an incident id');
  return n;
}

function line(i: DataLossIncident): string {
  const offsets = `expected ${i.expectedOffset ?? '?'}, resumed at ${i.firstOffset ?? '?'}`;
  const lost = i.lost === null ? 'unknown number lost' : `${i.lost} lost`;
  const state = i.resolvedAt
    ? `resolved ${i.resolvedAt} by ${i.resolvedBy ?? '?'} (${i.resolution ?? '?'})`
    : 'open';
  return (
    `#${i.id}  ${i.detectedAt}  ${i.consumer}  ${i.topic}[${i.partition}]  ${i.reason}  ` +
    `${offsets}  ${lost}  runs failed ${i.runsFailed}  ${state}`
  );
}

/**
 * `linkage data-loss list | resolve`: the incidents where a consumer found messages lost (an
 * out-of-range offset, a gap) and stopped. Resolving one, with a reason code, lets the consumer
 * go on (a running one notices by itself) and `/health` return to ok. Permission `ingest`
 * (the people who run ingest); both verbs are audited.
 */
export function registerDataLossCommand(program: Command): void {
  const cmd = program
    .command('data-loss')
    .description('review and resolve data-loss incidents of the Kafka consumers');
  withActorOptions(
    cmd
      .command('list')
      .description('incidents: run accounting, topic, partition, offsets, messages lost')
      .option('--all', 'also the resolved ones')
      .option('--json', 'one JSON object per line'),
  ).action(async (opts: ActorOptions & { all?: boolean; json?: boolean }) => {
    const actor = await resolveCliActor(opts);
    const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
    try {
      const governance = await openCliGovernance(db);
      const params = { all: opts.all === true };
      await authorizeCli(actor, 'ingest', DATA_LOSS_LIST_ACTION, params, governance);
      await ensureIngestSchema(db.sql);
      const incidents = await listDataLoss(db.sql, { all: opts.all });
      await auditCliRead(actor, DATA_LOSS_LIST_ACTION, params, incidents.length, { governance });
      if (opts.json) {
        for (const i of incidents) process.stdout.write(`${JSON.stringify(i)}\n`);
        return;
      }
      for (const i of incidents) process.stdout.write(`${line(i)}\n`);
      process.stdout.write(`${incidents.length} ${opts.all ? '' : 'open '}incident(s)\n`);
    } finally {
      await db.close();
    }
  });

  withActorOptions(
    cmd
      .command('resolve <id>')
      .description('close an incident once what was lost is re-ingested or the loss accepted')
      .addOption(
        new Option('--reason <code>', 'why it may be closed')
          .choices(DATA_LOSS_RESOLUTIONS)
          .makeOptionMandatory(),
      )
      .option('--json', 'print the incident as JSON'),
  ).action(
    async (id: string, opts: ActorOptions & { reason: DataLossResolution; json?: boolean }) => {
      const incident = incidentId(id);
      const actor = await resolveCliActor(opts);
      const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
      try {
        const governance = await openCliGovernance(db);
        const params = { incident, reason: opts.reason };
        await authorizeCli(actor, 'ingest', DATA_LOSS_RESOLVE_ACTION, params, governance);
        const bus = await openDataLossCommandBus(db.sql);
        const resolved = await bus.commands
          .execute(new ResolveDataLossCommand(incident, opts.reason, actor.user))
          .finally(() => bus.close());
        await auditCliRead(actor, DATA_LOSS_RESOLVE_ACTION, params, 1, { governance });
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(resolved)}\n`
            : `${line(resolved)}\nthe consumer ${resolved.consumer} consumes again (a running one within a few seconds)\n`,
        );
      } finally {
        await db.close();
      }
    },
  );
}
