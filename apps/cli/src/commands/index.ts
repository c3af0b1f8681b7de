import type { Command } from 'commander';

/** Every verb of `linkage`: one file per verb under this folder, each adding itself here. */
export type CommandRegistrar = (program: Command) => void;

export const commandRegistrars: CommandRegistrar[] = [];
