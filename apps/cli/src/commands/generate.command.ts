import { Command, Option } from 'commander';
import { ValidationError } from '@linkage/common';
import {
  DEFAULT_COHORT,
  DEFAULT_END_DATE,
  DEFAULT_SEED,
  DEFAULT_YEARS,
  generatePopulation,
} from '@linkage/synthetic';

function integer(field: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new ValidationError({ field, reason: 'not_an_integer' });
    return Number(value);
  };
}

function share(field: string) {
  return (value: string): number => {
    if (!/^[0-9]*\.?[0-9]+$/.test(value))
      throw new ValidationError({ field, reason: 'not_a_number' });
    return Number(value);
  };
}

/** `KEY=NUMBER` pairs (`crisis=0.7`) into an object; names are checked by the generator. */
function pairs(field: string, specs: string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const m = /^([a-z0-9_]+)=([0-9]*\.?[0-9]+(?:e-?\d+)?)$/i.exec(spec.trim());
    if (!m) throw new ValidationError({ field, reason: 'expected_name_equals_number' });
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * `linkage generate --out DIR`: writes a synthetic population's source extracts (liferooms and
 * cipha), a dirt ledger and `manifest.json` with the planted effects' ground truth.
 */
export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description(
      'generate a synthetic population: source extracts, dirt and a ground-truth manifest',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--persons <n>', 'total population (default: cohort x 6)', integer('/persons'))
    .option('--cohort <n>', 'Life Rooms users', integer('/cohort'), DEFAULT_COHORT)
    .option('--years <n>', 'length of the study window in years', integer('/years'), DEFAULT_YEARS)
    .option('--seed <seed>', 'random seed (same arguments, same bytes)', DEFAULT_SEED)
    .addOption(
      new Option('--format <format>', 'output format').choices(['ndjson', 'csv']).default('ndjson'),
    )
    .option(
      '--effect <measure=factor...>',
      'planted effect on users after the index date (default crisis=0.7 ae=0.8)',
    )
    .option(
      '--dirt <kind=share...>',
      'dirt shares, e.g. not_json=0.01 duplicates=0 no_nhs_number=0.1',
    )
    .option('--end-date <yyyy-mm-dd>', 'last day of the study window', DEFAULT_END_DATE)
    .option(
      '--dip-share <share>',
      'share of users who arrive just after a crisis episode (pre-index dip), 0..1 (default 0)',
      share('/threats/dipShare'),
    )
    .option(
      '--drift-sd <sd>',
      "SD of the monthly step of each person's log need (time-varying need), default 0",
      share('/threats/driftSd'),
    )
    .option('--json', 'print the whole manifest as JSON on stdout')
    .action(
      async (opts: {
        out: string;
        persons?: number;
        cohort: number;
        years: number;
        seed: string;
        format: 'ndjson' | 'csv';
        effect?: string[];
        dirt?: string[];
        endDate: string;
        dipShare?: number;
        driftSd?: number;
        json?: boolean;
      }) => {
        // Records after today would be rejected at ingest as date_in_future: refuse up front.
        if (opts.endDate > new Date().toISOString().slice(0, 10)) {
          throw new ValidationError({ field: '/endDate', reason: 'date_in_future' });
        }
        const manifest = await generatePopulation(
          {
            persons: opts.persons,
            cohort: opts.cohort,
            years: opts.years,
            seed: opts.seed,
            format: opts.format,
            effects: pairs('/effect', opts.effect),
            dirt: pairs('/dirt', opts.dirt),
            endDate: opts.endDate,
            threats: { dipShare: opts.dipShare, driftSd: opts.driftSd },
          },
          opts.out,
        );
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(manifest)}\n`);
          return;
        }
        const { counts, dirt, effects, parameters } = manifest;
        const lines = [
          `generated ${manifest.population.persons} persons (cohort ${manifest.population.cohort}), ${parameters.startDate} to ${parameters.endDate}, seed ${parameters.seed}`,
          `  ${opts.out}/${counts.liferooms.file}: ${counts.liferooms.written} lines (${counts.liferooms.rejected} dirty, ${counts.liferooms.duplicates} duplicates, ${dirt.noNhsNumber.count} without NHS number)`,
          `  ${opts.out}/${counts.cipha.file}: ${counts.cipha.written} lines (${counts.cipha.rejected} dirty, ${counts.cipha.duplicates} duplicates)`,
          ...Object.entries(effects).map(
            ([measure, e]) =>
              `  effect ${measure} x${e?.factor}: ${e?.expectedRateWithout.toFixed(4)} -> ${e?.expectedRateWith.toFixed(4)} per person-year (true effect ${e?.trueEffect.toFixed(4)})`,
          ),
          `  manifest: ${opts.out}/manifest.json`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
      },
    );
}
