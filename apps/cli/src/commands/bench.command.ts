import * as os from 'node:os';
import { Command } from 'commander';
import { ensureBenchKey, openBenchContext, type BenchScenario } from '../bench/bench-context';
import {
  formatTable,
  parseSize,
  selectScenarios,
  sizeOverrides,
  type BenchRow,
} from '../bench/bench-report';
import { BENCH_SCENARIOS } from '../bench/scenarios';

interface BenchOptions {
  scenario: string[];
  size: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A planned run: each selected scenario with the size it runs at. */
export interface BenchPlan {
  scenario: BenchScenario;
  size: number;
}

/** Reads `--scenario` and `--size` into a plan (throws ValidationError on a bad name or size). */
export function planBench(
  options: { scenario?: string[]; size?: string[] },
  scenarios: readonly BenchScenario[] = BENCH_SCENARIOS,
): BenchPlan[] {
  const names = scenarios.map((s) => s.name);
  const selected = selectScenarios(options.scenario ?? [], names);
  const sizes = sizeOverrides(options.size ?? [], names);
  return selected.map((name) => {
    const scenario = scenarios.find((s) => s.name === name) as BenchScenario;
    const text = sizes.byScenario[name] ?? sizes.all;
    return {
      scenario,
      size: text === undefined ? scenario.defaultSize : parseSize(text, scenario.sizeKind),
    };
  });
}

function scenarioHelp(): string {
  return [
    '',
    'Scenarios (--size meaning, default):',
    ...BENCH_SCENARIOS.map(
      (s) =>
        `  ${s.name.padEnd(20)} ${s.description}\n  ${''.padEnd(20)} size: ${s.sizeMeaning}, default ${s.defaultSize}`,
    ),
  ].join('\n');
}

/**
 * `linkage bench [--scenario NAME ...] [--size [NAME=]SIZE ...] [--json]`: runs benchmark
 * scenarios on synthetic data and prints a table of figures (or one JSON object).
 */
export function registerBenchCommand(program: Command): void {
  // Synthetic data only, so a random key is fine: set it before the program's key gate runs
  // (program-level hooks run in the order added, and registrars run before the gate is added).
  program.hook('preAction', (_root, action) => {
    let verb = action;
    while (verb.parent && verb.parent.parent) verb = verb.parent;
    if (verb.name() === 'bench') ensureBenchKey();
  });
  program
    .command('bench')
    .description('run benchmark scenarios on synthetic data and print a table of figures')
    .option(
      '--scenario <name>',
      'scenario to run (repeatable, or comma-separated; default all)',
      collect,
      [],
    )
    .option(
      '--size <[name=]size>',
      'size override: SIZE for all selected, NAME=SIZE for one (repeatable)',
      collect,
      [],
    )
    .option('--json', 'print the figures as one JSON object on stdout')
    .addHelpText('after', scenarioHelp())
    .action(async (opts: BenchOptions) => {
      const plan = planBench(opts);
      process.env.LOG_LEVEL ??= 'warn';
      ensureBenchKey();
      const ctx = openBenchContext();
      const rows: BenchRow[] = [];
      const startedAt = new Date().toISOString();
      try {
        for (const { scenario, size } of plan) {
          process.stderr.write(`bench: ${scenario.name} (size ${size})\n`);
          const result = await scenario.run(size, ctx);
          rows.push(...result);
          if (!opts.json) process.stderr.write(formatTable(result));
        }
      } finally {
        ctx.close();
      }
      if (opts.json) {
        const machine = {
          cpus: os.cpus().length,
          cpu: os.cpus()[0]?.model,
          memoryGb: Math.round(os.totalmem() / 1024 ** 3),
          node: process.version,
        };
        process.stdout.write(`${JSON.stringify({ startedAt, machine, rows })}\n`);
      } else {
        process.stdout.write(formatTable(rows));
      }
    });
}
