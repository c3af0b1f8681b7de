import * as fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { AccessDeniedError } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import {
  ReleasedCellLedger,
  ReleaseReview,
  type Actor,
  type Permission,
  type ReleaseView,
} from '@linkage/governance';
import {
  openReleaseCommandBus,
  RequestReleaseCommand,
  ReviewReleaseCommand,
} from '../../../governance-api/src';
import {
  auditCliRead,
  authorizeCli,
  openCliGovernance,
  resolveCliActor,
  type CliGovernance,
} from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

interface ActorOptions {
  token?: string;
  purpose?: string;
  json?: boolean;
}

/**
 * `linkage release request|list|show|review|download`: release review from the CLI, with the
 * same rules as the governance API (`/v1/releases`): an analyst requests, an output checker who
 * is not the requester approves or rejects with a reason, only approved outputs download as
 * release files. Every verb is checked by the access gate and audited.
 */
export function registerReleaseCommand(program: Command): void {
  const release = program
    .command('release')
    .description('release review: request, list, show, review, download release files');

  withActor(release.command('request <output>'))
    .description(
      'ask for an output (cohort, outcomes, breakdown, wellbeing, balance) to be released',
    )
    .requiredOption('--justification <text>', 'why it must leave the secure setting')
    .option('--measure <measure>', 'outcome measure (outcomes, breakdown)')
    .option('--before <months>', 'months before the index date (outcomes)')
    .option('--after <months>', 'months after the index date (outcomes)')
    .option('--dimension <dimension>', 'breakdown dimension (breakdown)')
    .action(async (output: string, opts: ActorOptions & Record<string, string | undefined>) => {
      const parameters: Record<string, string | number> = {};
      for (const key of ['measure', 'before', 'after', 'dimension'] as const) {
        if (opts[key] !== undefined) parameters[key] = opts[key]!;
      }
      await withRelease(
        opts,
        'release:request',
        'release.request',
        { output, ...parameters },
        (ctx) =>
          withCommandBus(ctx, async (commands) => {
            const { release: view, cellsSuppressed } = await commands.execute(
              new RequestReleaseCommand(ctx.actor, {
                output,
                parameters,
                justification: opts.justification ?? '',
              }),
            );
            return { view, cellsSuppressed };
          }),
      );
    });

  withActor(release.command('list'))
    .description('releases (output checkers: all; others: their DSA)')
    .option('--status <status>', 'requested, approved or rejected')
    .action(async (opts: ActorOptions & { status?: string }) => {
      await withRelease(
        opts,
        'release:read',
        'release.list',
        { status: opts.status ?? '' },
        async (ctx) => {
          const list = await ctx.releases.list({
            dsa: ctx.actor.role === 'output_checker' ? undefined : ctx.actor.dsa,
            status: opts.status,
          });
          return { list };
        },
      );
    });

  withActor(release.command('show <releaseId>'))
    .description('one release with the gate report (what was suppressed and by which rule)')
    .action(async (releaseId: string, opts: ActorOptions) => {
      await withRelease(opts, 'release:read', 'release.show', { releaseId }, async (ctx) => {
        const view = await ctx.releases.get(releaseId);
        if (ctx.actor.role !== 'output_checker' && view.dsa !== ctx.actor.dsa) {
          throw new AccessDeniedError('other_dsa');
        }
        return { view };
      });
    });

  withActor(release.command('review <releaseId>'))
    .description('approve or reject a release (output checkers; never your own request)')
    .option('--approve', 'approve the release')
    .option('--reject', 'reject the release')
    .requiredOption('--reason <text>', 'the reason for the decision')
    .action(
      async (
        releaseId: string,
        opts: ActorOptions & { approve?: boolean; reject?: boolean; reason: string },
      ) => {
        if (Boolean(opts.approve) === Boolean(opts.reject)) {
          throw new InvalidArgumentError('give exactly one of --approve or --reject');
        }
        const decision = opts.approve ? 'approve' : 'reject';
        await withRelease(opts, 'release:review', `release.${decision}`, { releaseId }, (ctx) =>
          withCommandBus(ctx, async (commands) => ({
            view: await commands.execute(
              new ReviewReleaseCommand(ctx.actor, releaseId, decision, opts.reason),
            ),
          })),
        );
      },
    );

  withActor(release.command('download <releaseId>'))
    .description('write the release file of an approved release')
    .requiredOption('--out <file>', 'where to write the release file (JSON; .csv for the CSV)')
    .action(async (releaseId: string, opts: ActorOptions & { out: string }) => {
      await withRelease(
        opts,
        'release:download',
        'release.download',
        { releaseId },
        async (ctx) => {
          const file = await ctx.releases.download(ctx.actor, releaseId);
          fs.writeFileSync(
            opts.out,
            opts.out.endsWith('.csv') ? file.csv : `${JSON.stringify(file, null, 2)}\n`,
          );
          return { view: file.release, cellsSuppressed: file.release.gateReport.suppressed.length };
        },
      );
    });
}

function withActor(command: Command): Command {
  return command
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .option('--json', 'print JSON');
}

/** Runs `fn` with the release commands on a bus (the governance API's handlers), then closes it. */
async function withCommandBus<T>(
  ctx: ReleaseContext,
  fn: (commands: Awaited<ReturnType<typeof openReleaseCommandBus>>['commands']) => Promise<T>,
): Promise<T> {
  const bus = await openReleaseCommandBus(ctx.g.db.sql, ctx.releases, ctx.ledger);
  try {
    return await fn(bus.commands);
  } finally {
    await bus.close();
  }
}

interface ReleaseContext {
  actor: Actor;
  g: CliGovernance;
  releases: ReleaseReview;
  ledger: ReleasedCellLedger;
}

async function withRelease(
  opts: ActorOptions,
  permission: Permission,
  action: string,
  params: Record<string, string | number>,
  fn: (
    ctx: ReleaseContext,
  ) => Promise<{ view?: ReleaseView; list?: ReleaseView[]; cellsSuppressed?: number }>,
): Promise<void> {
  const embedded = !process.env.DATABASE_URL;
  const db = await openDatabase(embedded ? { max: 1 } : {});
  const g = await openCliGovernance(db);
  try {
    const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
    await authorizeCli(actor, permission, action, params, g);
    const ledger = new ReleasedCellLedger(db.sql);
    const releases = new ReleaseReview(db.sql, ledger);
    let result: Awaited<ReturnType<typeof fn>>;
    try {
      result = await fn({ actor, g, releases, ledger });
    } catch (error) {
      // A refusal (two-person rule, not approved, ...) is audited like the API's.
      const code = (error as { code?: string; detail?: { reason?: string } }).code;
      if (code) {
        await g.audit.record({
          actor: actor.user,
          role: actor.role,
          purpose: actor.purpose,
          dsa: actor.dsa,
          action,
          parameters: params,
          outcome: code === 'forbidden' || code === 'unauthenticated' ? 'denied' : 'error',
          reason: (error as { detail?: { reason?: string } }).detail?.reason ?? code,
        });
      }
      throw error;
    }
    await auditCliRead(actor, action, params, result.list?.length ?? 1, {
      cellsSuppressed: result.cellsSuppressed,
      governance: g,
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result.list ?? result.view)}\n`);
      return;
    }
    for (const view of result.list ?? (result.view ? [result.view] : [])) printRelease(view);
  } finally {
    await g.close();
    await db.close();
  }
}

function printRelease(v: ReleaseView): void {
  const suppressed = v.gateReport.suppressed;
  process.stdout.write(
    [
      `release ${v.releaseId}  ${v.status}`,
      `  output        ${v.output} ${JSON.stringify(v.parameters)}`,
      `  requested by  ${v.requestedBy} (${v.dsa}) at ${v.requestedAt}: ${v.justification}`,
      v.reviewedBy
        ? `  reviewed by   ${v.reviewedBy} at ${v.reviewedAt}: ${v.reviewReason}`
        : '  reviewed by   (pending)',
      `  gate          policy ${v.gateReport.policyVersion}; ${suppressed.length} cells suppressed`,
      ...suppressed.slice(0, 20).map((c) => `    ${c.cell} (${c.kind}): ${c.rule}`),
      ...(suppressed.length > 20 ? [`    ... ${suppressed.length - 20} more`] : []),
      `  downloads     ${v.downloads}`,
      '',
    ].join('\n'),
  );
}
