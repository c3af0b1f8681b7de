import type { Command } from 'commander';

/** Help of `--token` on every verb that acts as a user. */
export const TOKEN_OPTION_HELP =
  'act under this token (default LINKAGE_TOKEN, else the local operator)';
/** Help of `--purpose` on every verb the local operator may run. */
export const PURPOSE_OPTION_HELP = 'purpose of this use (local operator)';

/** `--token` and `--purpose` on a verb: act under a token, else as the local operator. */
export function withActorOptions(command: Command): Command {
  return command
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP);
}
