import { Command, InvalidArgumentError } from 'commander';
import { openDatabase } from '@linkage/database';
import { isOutcomeMeasure, OUTCOME_MEASURES } from '@linkage/domain';
import { ReleasedCellLedger } from '@linkage/governance';
import { linkageSensitivity } from '../../../analytics-api/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

export const LINKAGE_SENSITIVITY_ACTION = 'read linkage-sensitivity';

const thresholdList = (value: string): number[] => {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (
    list.length < 1 ||
    list.length > 4 ||
    list.some((n) => !Number.isFinite(n) || n < 0 || n > 40)
  )
    throw new InvalidArgumentError('expected 1 to 4 comma-separated match weights from 0 to 40');
  return list;
};

/**
 * `linkage linkage-sensitivity --measure M --thresholds 4,10`: the headline estimate re-run with
 * records without an NHS number linked at each match threshold, to show how linkage error moves
 * it. Permission `read:outcomes`, through the publishing gate and the released-cell ledger,
 * audited like `linkage outcomes`.
 */
export function registerLinkageSensitivityCommand(program: Command): void {
  program
    .command('linkage-sensitivity')
    .description('the headline estimate re-run at several linkage match thresholds')
    .option('--measure <measure>', `one of ${OUTCOME_MEASURES.join(', ')}`, 'crisis')
    .option(
      '--thresholds <weights>',
      'match weights, comma-separated (live: 10)',
      thresholdList,
      [4, 10],
    )
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .option('--json', 'print one JSON object')
    .action(
      async (opts: {
        measure: string;
        thresholds: number[];
        json?: boolean;
        token?: string;
        purpose?: string;
      }) => {
        if (!isOutcomeMeasure(opts.measure))
          throw new InvalidArgumentError(`--measure must be one of ${OUTCOME_MEASURES.join(', ')}`);
        const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
        const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
        try {
          const governance = await openCliGovernance(db);
          const params = { measure: opts.measure, thresholds: opts.thresholds.join(',') };
          await authorizeCli(
            actor,
            'read:outcomes',
            LINKAGE_SENSITIVITY_ACTION,
            params,
            governance,
          );
          const result = await linkageSensitivity(db.sql, {
            measure: opts.measure,
            thresholds: opts.thresholds,
            ledger: new ReleasedCellLedger(db.sql),
            audience: {
              dsa: actor.dsa,
              output: `linkage linkage-sensitivity --measure ${opts.measure}`,
            },
          });
          await auditCliRead(actor, LINKAGE_SENSITIVITY_ACTION, params, result.estimates.length, {
            cellsSuppressed: result.cellsSuppressed,
            governance,
          });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(result)}\n`);
            return;
          }
          const f = (x: unknown) => (x === null || x === undefined ? 'suppressed' : String(x));
          const lines = [`measure ${result.measure}: matched DiD at each linkage match threshold`];
          for (const { threshold, estimate: e } of result.estimates) {
            const ci = (e.ci95 as [number | null, number | null] | undefined) ?? [null, null];
            lines.push(
              `threshold ${String(threshold).padStart(4)}  users ${f(e.nUsers)}  DiD ${f(e.did)}  95% CI [${f(ci[0])}, ${f(ci[1])}]`,
            );
          }
          lines.push(
            `suppressed ${result.suppressed.map((c) => `${c.cell}@${c.threshold} (${c.rule})`).join(', ') || 'none'}`,
          );
          process.stdout.write(`${lines.join('\n')}\n`);
        } finally {
          await db.close();
        }
      },
    );
}
