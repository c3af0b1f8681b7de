import { Command } from 'commander';
import { ValidationError } from '@linkage/common';
import {
  runValiditySeed,
  summariseValidity,
  VALIDITY_SCENARIOS,
  type ValidityRun,
} from '../bench/validity-study';

function positive(field: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new ValidationError({ field, reason: 'not_a_positive_integer' });
    }
    return Number(value);
  };
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

/**
 * `linkage validity`: the estimator's validity study. For K seeds of each scenario (planted
 * effects, including none) it simulates a small population in memory with the pre-index dip and
 * need drift on, matches, estimates every measure and scores it against the generator's truth.
 * Prints per measure: mean relative bias (planted measures), 95% interval coverage, and how often
 * a measure with nothing planted is called significant. Synthetic data only: nothing about people.
 */
export function registerValidityCommand(program: Command): void {
  program
    .command('validity')
    .description(
      "the estimator's validity study: bias, coverage and false positives over many seeds (synthetic)",
    )
    .option('--seeds <k>', 'seeds per scenario', positive('/seeds'), 20)
    .option(
      '--first-seed <n>',
      'number of the first seed (to split a study over processes)',
      positive('/first-seed'),
      1,
    )
    .option('--cohort <n>', 'Life Rooms users per simulated population', positive('/cohort'), 1500)
    .option(
      '--scenario <name...>',
      `scenarios (${VALIDITY_SCENARIOS.map((s) => s.name).join(', ')})`,
    )
    .option(
      '--bias-corrected',
      'use the Abadie-Imbens bias-corrected matching estimator (regression on the matching covariates)',
    )
    .option('--json', 'print every run and the summary as JSON')
    .action(
      (opts: {
        seeds: number;
        firstSeed: number;
        cohort: number;
        scenario?: string[];
        biasCorrected?: boolean;
        json?: boolean;
      }) => {
        const names = opts.scenario ?? VALIDITY_SCENARIOS.map((s) => s.name);
        const scenarios = names.map((name) => {
          const s = VALIDITY_SCENARIOS.find((x) => x.name === name);
          if (!s) throw new ValidationError({ field: '/scenario', reason: 'unknown_scenario' });
          return s;
        });
        const runs: ValidityRun[] = [];
        // Seeds outermost, so a stopped run still has every scenario at the seeds it reached.
        const last = opts.firstSeed + opts.seeds - 1;
        for (let i = opts.firstSeed; i <= last; i++) {
          for (const scenario of scenarios) {
            const seedRuns = runValiditySeed(
              scenario,
              `validity-${i}`,
              opts.cohort,
              undefined,
              undefined,
              { biasCorrected: opts.biasCorrected },
            );
            runs.push(...seedRuns);
            process.stderr.write(
              `${JSON.stringify({ progress: `${scenario.name} seed ${i}/${last}`, runs: seedRuns })}\n`,
            );
          }
        }
        const summary = summariseValidity(runs);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ runs, summary })}\n`);
          return;
        }
        const lines = [
          `validity study: ${opts.seeds} seeds x ${scenarios.length} scenarios (${names.join(', ')}), cohort ${opts.cohort}, dip and drift on${opts.biasCorrected ? ', bias-corrected' : ''}`,
          `  ${'measure'.padEnd(20)} ${'runs'.padStart(5)} ${'rel. bias'.padStart(10)} ${'(SE)'.padStart(7)} ${'bias/py'.padStart(9)} ${'coverage'.padStart(9)} ${'false +'.padStart(8)} ${'pre-trend ok'.padStart(13)} ${'SE/spread'.padStart(10)}`,
          ...summary.map(
            (s) =>
              `  ${s.measure.padEnd(20)} ${String(s.runs).padStart(5)} ${pct(s.meanRelativeBias).padStart(10)} ${pct(s.relativeBiasSe).padStart(7)} ${s.meanBias.toFixed(4).padStart(9)} ${pct(s.coverage).padStart(9)} ${pct(s.falsePositiveRate).padStart(8)} ${pct(s.preTrendPassRate).padStart(13)} ${(s.meanSe / s.errorSd).toFixed(2).padStart(10)}`,
          ),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      },
    );
}
