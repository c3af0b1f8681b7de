import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LinkageError, projectRoot } from '@linkage/common';
import { commandRegistrars } from './commands';
import { assertKeyConfigured } from './key-gate';
import { describeError } from './describe-error';

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

/** Set when commander has itself printed an error, so main() does not print it twice. */
let commanderPrinted = false;

export function buildProgram(): Command {
  commanderPrinted = false;
  const program = new Command('linkage')
    .description('Event-sourced population-health data linkage: Life Rooms x CIPHA')
    .version(packageVersion(), '-V, --version', 'print the version of linkage')
    .configureOutput({
      writeErr: (text) => {
        commanderPrinted = true;
        process.stderr.write(text);
      },
    })
    .showHelpAfterError()
    .exitOverride();
  for (const register of commandRegistrars) register(program);
  program.hook('preAction', (_root, action) => assertKeyConfigured(topLevelVerb(action)));
  return program;
}

function packageVersion(): string {
  const file = path.join(projectRoot(), 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
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
      case 'invalid_input':
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
    // Commander prints the errors it finds while parsing; one thrown by a verb's action (such
    // as an InvalidArgumentError) it does not, so it is printed here: never a stack trace.
    if (!(error instanceof CommanderError) || !commanderPrinted) {
      process.stderr.write(`linkage: ${describeError(error)}\n`);
    }
    process.exitCode = exitCodeFor(error);
  }
}

if (require.main === module || process.env.LINKAGE_CLI_MAIN === '1') void main();
