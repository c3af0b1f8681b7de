import type { Command } from 'commander';
import { DEFAULT_COHORT, DEFAULT_SEED } from '@linkage/synthetic';
import { runDemo, type DemoOptions } from '../demo';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'generate the default population, run the whole pipeline on the embedded default and serve the APIs',
    )
    .option('--once', 'exit after printing the summary')
    .option('--cohort <n>', 'Life Rooms users in the synthetic population', String(DEFAULT_COHORT))
    .option('--seed <seed>', 'generator seed', DEFAULT_SEED)
    .option(
      '--port <port>',
      'first of three API ports (analytics, governance, ingest); 0 for any free ones',
      '3000',
    )
    .option('--json', 'print the summary as one JSON object on the last line of stdout')
    .action(async (options: DemoOptions) => {
      await runDemo(options);
    });
}
