import { Command, InvalidArgumentError } from 'commander';
import { openDatabase } from '@linkage/database';
import { isOutcomeMeasure, OUTCOME_MEASURES } from '@linkage/domain';
import {
  AnalyticsQueries,
  isOnWindowGrid,
  OUTCOME_WINDOW_GRID_MONTHS,
} from '../../../analytics-api/src';
import { ReleasedCellLedger } from '@linkage/governance';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';

interface OutcomesOptions {
  measure: string;
  before: number;
  after: number;
  json?: boolean;
  token?: string;
  purpose?: string;
}

const months = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 60)
    throw new InvalidArgumentError('expected 1 to 60 months');
  if (!isOnWindowGrid(n))
    throw new InvalidArgumentError(
      `expected a multiple of ${OUTCOME_WINDOW_GRID_MONTHS} months (windows come from a grid)`,
    );
  return n;
};

/**
 * `linkage outcomes --measure M`: the same disclosure-controlled object as `GET /v1/outcomes`,
 * checked and audited like the API (via cli-context).
 */
export function registerOutcomesCommand(program: Command): void {
  program
    .command('outcomes')
    .description('users vs matched controls for one measure: rates per person-year, did and 95% CI')
    .requiredOption('--measure <measure>', `one of ${OUTCOME_MEASURES.join(', ')}`)
    .option('--before <months>', 'months before the index date', months, 12)
    .option('--after <months>', 'months after the index date', months, 12)
    .option(
      '--token <jwt>',
      'act under this token (default LINKAGE_TOKEN, else the local operator)',
    )
    .option('--purpose <purpose>', 'purpose of this use (local operator)')
    .option('--json', 'print one JSON object')
    .action(async (opts: OutcomesOptions) => {
      if (!isOutcomeMeasure(opts.measure)) {
        throw new InvalidArgumentError(`--measure must be one of ${OUTCOME_MEASURES.join(', ')}`);
      }
      const embedded = !process.env.DATABASE_URL;
      const db = await openDatabase(embedded ? { max: 1 } : {});
      const governance = await openCliGovernance(db);
      try {
        const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
        const action = 'read outcomes';
        const params = { measure: opts.measure, before: opts.before, after: opts.after };
        await authorizeCli(actor, 'read:outcomes', action, params, governance);
        const queries = new AnalyticsQueries(
          db.sql,
          undefined,
          undefined,
          new ReleasedCellLedger(db.sql),
        );
        const result = await queries.outcomes(opts.measure, opts.before, opts.after, {
          dsa: actor.dsa,
          output: `linkage outcomes --measure ${opts.measure} --before ${opts.before} --after ${opts.after}`,
        });
        await auditCliRead(actor, action, params, result.rows.length, {
          cellsSuppressed: result.cellsSuppressed,
          governance,
        });
        const b = result.body as unknown as Record<string, unknown> & {
          users: { before: number | null; after: number | null };
          controls: { before: number | null; after: number | null };
          ci95: [number | null, number | null];
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result.body)}\n`);
          return;
        }
        // Numbers as the gate published them (its rounding), never re-padded to more digits.
        const f = (x: number | null) => (x === null ? 'suppressed' : String(x));
        process.stdout.write(
          [
            `measure ${b.measure} (${b.unit}), ${b.before} months before / ${b.after} after the index date`,
            `users    n=${b.nUsers ?? 'suppressed'}  before ${f(b.users.before)}  after ${f(b.users.after)}`,
            `controls n=${b.nControls ?? 'suppressed'}  before ${f(b.controls.before)}  after ${f(b.controls.after)}`,
            `difference in differences ${f(b.did as number | null)}  95% CI [${f(b.ci95[0])}, ${f(b.ci95[1])}]`,
            `suppressed ${result.suppressed.map((c) => `${c.cell} (${c.rule})`).join(', ') || 'none'}; policy ${result.body.provenance.publishingPolicy.version}`,
          ].join('\n') + '\n',
        );
      } finally {
        await governance.close();
        await db.close();
      }
    });
}
