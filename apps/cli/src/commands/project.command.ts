import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import { DEFAULT_EVALUATION_DESIGN } from '@linkage/domain';
import { openEventStore } from '@linkage/event-store';
import { createProgress } from '@linkage/observability';
import {
  catchUp,
  readCheckpoint,
  rebuildReadModels,
  runMatching,
  READ_MODEL,
} from '../../../projector/src';
import { auditOptOutProcessed } from '@linkage/governance';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { TOKEN_OPTION_HELP } from './actor-options';

interface ProjectOptions {
  rebuild?: boolean;
  match?: boolean;
  seed?: number;
  k?: number;
  batchSize?: number;
  json?: boolean;
  token?: string;
  purpose?: string;
}

const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

/**
 * `linkage project`: catches the read models up with the event store, then matches the cohort.
 * `--rebuild` rebuilds every read model from the first event into fresh tables and swaps them in.
 */
export function registerProjectCommand(program: Command): void {
  program
    .command('project')
    .description('catch the read models up with the event store (then match the cohort) and exit')
    .option(
      '--rebuild',
      'rebuild every read model from the first event into fresh tables, then swap them in',
    )
    .option('--no-match', 'skip matching the cohort to non-users after projecting')
    .option('--seed <n>', 'matching seed', integer)
    .option('--k <n>', 'controls per user', integer)
    .option('--batch-size <n>', 'events per transaction (default 2000)', integer)
    .option('--json', 'print one JSON object')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', 'purpose of the local operator (default LINKAGE_PURPOSE)')
    .action(async (opts: ProjectOptions) => {
      const log = createLogger('projector');
      const embedded = !process.env.DATABASE_URL;
      const db = await openDatabase(embedded ? { max: 1 } : {});
      const store = await openEventStore({ db });
      const governance = await openCliGovernance(db);
      try {
        // A projection run and a rebuild read every event: audited like any other data access.
        const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
        const action = opts.rebuild ? 'project.rebuild' : 'project.run';
        await authorizeCli(actor, 'admin:operations', action, {}, governance);
        const onOptOutsProcessed = async (c: { recorded: number; withdrawn: number }) => {
          await auditOptOutProcessed(governance.audit, {
            actor: actor.user,
            optOutsRecorded: c.recorded,
            optOutsWithdrawn: c.withdrawn,
          });
        };
        const started = Date.now();
        const from = opts.rebuild ? '' : await readCheckpoint(db.sql, READ_MODEL).catch(() => '');
        const total = await store.countAfter(from);
        const progress = createProgress({
          task: opts.rebuild ? 'rebuild' : 'project',
          total,
          unit: 'events',
        });
        const onBatch = (n: number) => progress.increment(n);
        const settings = {
          ...DEFAULT_EVALUATION_DESIGN,
          matching: {
            ...DEFAULT_EVALUATION_DESIGN.matching,
            ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
            ...(opts.k !== undefined ? { k: opts.k } : {}),
          },
        };
        let applied: number;
        let position: string;
        let matching;
        if (opts.rebuild) {
          const r = await rebuildReadModels({
            sql: db.sql,
            store,
            logger: log,
            onBatch,
            onOptOutsProcessed,
            batchSize: opts.batchSize,
          });
          ({ applied, position } = r);
          matching =
            opts.match === false ? undefined : await runMatching(db.sql, READ_MODEL, settings);
        } else {
          const result = await catchUp({
            sql: db.sql,
            store,
            logger: log,
            onBatch,
            onOptOutsProcessed,
            batchSize: opts.batchSize,
          });
          ({ applied, position } = result);
          if (!result.complete) {
            // Said plainly, and a non-zero exit: the read models are behind what is stored.
            process.stderr.write(
              `linkage: projection stopped short: ${result.heldBackEvents} stored event(s) are ` +
                `held back by a transaction open for ${Math.round(result.horizonAgeSeconds ?? 0)} s ` +
                '(idle in transaction, a long CREATE INDEX or a prepared transaction); end it and ' +
                'run `linkage project` again\n',
            );
            process.exitCode = 1;
          }
          matching =
            opts.match === false ? undefined : await runMatching(db.sql, READ_MODEL, settings);
        }
        progress.stop();
        const summary = {
          applied,
          position,
          rebuilt: Boolean(opts.rebuild),
          durationMs: Date.now() - started,
          matching: matching && {
            users: matching.users,
            matchedUsers: matching.matchedUsers,
            unmatchedUsers: matching.unmatchedUsers,
            k: matching.settings.matching.k,
            seed: matching.settings.matching.seed,
            maxAbsSmdAfter: Math.max(0, ...matching.balance.after.map((b) => Math.abs(b.smd))),
          },
        };
        log.info(
          { applied, rebuilt: summary.rebuilt, durationMs: summary.durationMs },
          'projection finished',
        );
        await auditCliRead(actor, action, { rebuilt: summary.rebuilt }, applied, { governance });
        if (summary.matching) {
          await auditCliRead(
            actor,
            'matching.run',
            { k: summary.matching.k, seed: summary.matching.seed },
            summary.matching.users,
            { governance },
          );
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(summary)}\n`);
        } else {
          process.stdout.write(
            `projected ${applied} events${summary.rebuilt ? ' (rebuilt)' : ''} in ${summary.durationMs} ms\n` +
              (summary.matching
                ? `matched ${summary.matching.matchedUsers} of ${summary.matching.users} cohort users (k=${summary.matching.k}, seed=${summary.matching.seed}), max |SMD| after ${summary.matching.maxAbsSmdAfter.toFixed(3)}\n`
                : ''),
          );
        }
      } finally {
        await governance.close();
        await store.close();
        await db.close();
      }
    });
}
