import { Command } from 'commander';

/**
 * Runs `linkage <args>` in this process with only the given verbs registered, and returns what
 * they printed on stdout. Errors reach the caller as thrown (commander does not exit); with
 * `quietCommander`, commander's own error text is not printed as well.
 */
export async function runVerbs(
  registrars: ((program: Command) => void)[],
  args: string[],
  options: { quietCommander?: boolean } = {},
): Promise<string> {
  const program = new Command('linkage').exitOverride();
  if (options.quietCommander) program.configureOutput({ writeErr: () => undefined });
  for (const register of registrars) register(program);
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'linkage', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}
