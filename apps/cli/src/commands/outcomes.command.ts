import { Command, InvalidArgumentError } from 'commander';
import { openDatabase } from '@linkage/database';
import { isOutcomeMeasure, OUTCOME_MEASURES } from '@linkage/domain';
import {
  AnalyticsQueries,
  EventStudyQuery,
  isOnWindowGrid,
  openAnalyticsQueryBus,
  OutcomesQuery,
  OUTCOME_WINDOW_GRID_MONTHS,
} from '../../../analytics-api/src';
import { ReleasedCellLedger } from '@linkage/governance';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

interface OutcomesOptions {
  measure: string;
  before: number;
  after: number;
  washout: number;
  eventStudy?: boolean;
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
      '--washout <months>',
      'months before the index date left out of the baseline (the pre-index dip)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 11)
          throw new InvalidArgumentError('expected 0 to 11');
        return n;
      },
      3,
    )
    .option('--event-study', 'monthly rates of users and controls, 24 months either side')
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .option('--json', 'print one JSON object')
    .action(async (opts: OutcomesOptions) => {
      if (!isOutcomeMeasure(opts.measure)) {
        throw new InvalidArgumentError(`--measure must be one of ${OUTCOME_MEASURES.join(', ')}`);
      }
      const embedded = !process.env.DATABASE_URL;
      const db = await openDatabase(embedded ? { max: 1 } : {});
      const governance = await openCliGovernance(db);
      let closeBus = async () => {};
      try {
        const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
        const action = 'read outcomes';
        const params = {
          measure: opts.measure,
          before: opts.before,
          after: opts.after,
          washout: opts.washout,
          eventStudy: Boolean(opts.eventStudy),
        };
        await authorizeCli(actor, 'read:outcomes', action, params, governance);
        const buses = await openAnalyticsQueryBus(
          new AnalyticsQueries(db.sql, undefined, undefined, new ReleasedCellLedger(db.sql)),
        );
        closeBus = buses.close;
        if (opts.eventStudy) {
          const series = await buses.queries.execute(
            new EventStudyQuery(opts.measure, {
              dsa: actor.dsa,
              output: `linkage outcomes --measure ${opts.measure} --event-study`,
            }),
          );
          await auditCliRead(actor, action, params, series.rows.length, {
            cellsSuppressed: series.cellsSuppressed,
            governance,
          });
          const rows = series.body.series as Array<{
            month: number;
            users: number | null;
            controls: number | null;
          }>;
          const g = (x: number | null) => (x === null ? 'suppressed' : x.toFixed(4));
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(series.body)}\n`
              : [
                  `event study ${opts.measure} (${String(series.body.unit)}): month, users, matched controls`,
                  ...rows.map(
                    (r) => `${String(r.month).padStart(4)}  ${g(r.users)}  ${g(r.controls)}`,
                  ),
                ].join('\n') + '\n',
          );
          return;
        }
        if (opts.washout >= opts.before) {
          throw new InvalidArgumentError('--washout must be shorter than --before');
        }
        const result = await buses.queries.execute(
          new OutcomesQuery(opts.measure, {
            before: opts.before,
            after: opts.after,
            washout: opts.washout,
            audience: {
              dsa: actor.dsa,
              output: `linkage outcomes --measure ${opts.measure} --before ${opts.before} --after ${opts.after} --washout ${opts.washout}`,
            },
          }),
        );
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
            ...diagnosticLines(b.diagnostics as Diagnostics | null),
            `suppressed ${result.suppressed.map((c) => `${c.cell} (${c.rule})`).join(', ') || 'none'}; policy ${result.body.provenance.publishingPolicy.version}`,
          ].join('\n') + '\n',
        );
      } finally {
        await closeBus();
        await governance.close();
        await db.close();
      }
    });
}

interface Diagnostics {
  balance: { passed: boolean; maxAbsSmdAfter: number | null };
  preTrend: {
    passed: boolean;
    placeboDid: number | null;
    ci95: Array<number | null>;
    warning: string | null;
  };
  negativeControl: {
    measure: string;
    passed: boolean;
    did: number | null;
    ci95: Array<number | null>;
  };
}

function diagnosticLines(d: Diagnostics | null): string[] {
  if (!d) return ['diagnostics: not shown (the estimate is suppressed)'];
  const v = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  return [
    `balance ${v(d.balance.passed)} (max |SMD| after matching ${d.balance.maxAbsSmdAfter})`,
    `pre-trend ${v(d.preTrend.passed)} (placebo DiD ${d.preTrend.placeboDid}, 95% CI [${d.preTrend.ci95.join(', ')}])`,
    `negative control ${d.negativeControl.measure} ${v(d.negativeControl.passed)} (DiD ${d.negativeControl.did}, 95% CI [${d.negativeControl.ci95.join(', ')}])`,
    ...(d.preTrend.warning ? [`WARNING: ${d.preTrend.warning}`] : []),
  ];
}
