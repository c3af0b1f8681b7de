import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { LinkageError } from '@linkage/common';
import { commandRegistrars } from './commands';
import { assertKeyConfigured } from './key-gate';

/** Exit codes, so a user can tell why a run failed without reading logs. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  validation: 3,
  accessDenied: 4,
  configuration: 5,
  conflict: 6,
} as const;

export function buildProgram(): Command {
  const program = new Command('linkage')
    .description('Event-sourced population-health data linkage: Life Rooms x CIPHA')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commandRegistrars) register(program);
  program.hook('preAction', (_root, action) => assertKeyConfigured(topLevelVerb(action)));
  return program;
}

function topLevelVerb(command: Command): string {
  let current = command;
  while (current.parent && current.parent.parent) current = current.parent;
  return current.name();
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof LinkageError) {
    switch (error.code) {
      case 'validation_failed':
        return EXIT.validation;
      case 'unauthenticated':
      case 'forbidden':
        return EXIT.accessDenied;
      case 'configuration_error':
        return EXIT.configuration;
      case 'concurrency_conflict':
        return EXIT.conflict;
      default:
        return EXIT.failed;
    }
  }
  return EXIT.failed;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`linkage: ${message}\n`);
    }
    process.exitCode = exitCodeFor(error);
  }
}

if (require.main === module || process.env.LINKAGE_CLI_MAIN === '1') void main();
