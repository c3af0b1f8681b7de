import * as os from 'node:os';
import { Command, Option } from 'commander';
import { ensureBenchKey, openBenchContext, type BenchScenario } from '../bench/bench-context';
import { checkTargets, formatTargets } from '../bench/bench-targets';
import {
  formatTable,
  parseSize,
  rowOf,
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

function describeSize(s: BenchScenario): string {
  const gb = s.defaultSize / 1024 ** 3;
  return s.sizeKind === 'bytes' && Number.isInteger(gb) ? `${gb}GB` : String(s.defaultSize);
}

function scenarioHelp(): string {
  return [
    '',
    'Scenarios (--size meaning, default):',
    ...BENCH_SCENARIOS.map(
      (s) =>
        `  ${s.name.padEnd(20)} ${s.description}\n  ${''.padEnd(20)} size: ${s.sizeMeaning}, default ${describeSize(s)}`,
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
    .addOption(
      new Option('--scenario <name>', 'scenario to run (repeatable, or comma-separated)')
        .argParser(collect)
        .default([], 'all'),
    )
    .addOption(
      new Option('--size <[name=]size>', 'SIZE for every selected scenario, NAME=SIZE for one')
        .argParser(collect)
        .default([], 'per scenario'),
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
      let failed = false;
      try {
        for (const { scenario, size } of plan) {
          process.stderr.write(`bench: ${scenario.name} (size ${size})\n`);
          let result: BenchRow[];
          try {
            result = await scenario.run(size, ctx);
          } catch (error) {
            // Keep the figures measured so far; the run still fails (exit code 1) at the end.
            const reason = error instanceof Error ? error.message : String(error);
            result = [rowOf(scenario.name, '-', 0, '-', 0, { note: `failed: ${reason}` })];
            failed = true;
          }
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
        const targets = checkTargets(rows);
        process.stdout.write(`${JSON.stringify({ startedAt, machine, rows, targets })}\n`);
      } else {
        process.stdout.write(formatTable(rows));
        process.stdout.write(`\n${formatTargets(checkTargets(rows))}`);
      }
      if (failed) process.exitCode = 1;
    });
}
