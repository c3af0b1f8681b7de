import type { Command } from 'commander';
import { registerIngestCommand } from './ingest.command';
import { registerDeadLettersCommand } from './dead-letters.command';
import { registerLinkageReportCommand } from './linkage-report.command';
import { registerLinkageReviewCommand } from './linkage-review.command';
import { registerLinkageSensitivityCommand } from './linkage-sensitivity.command';
import { registerServeCommand } from './serve.command';
import { registerGenerateCommand } from './generate.command';
import { registerTokenCommand } from './token.command';
import { registerDsaCommand } from './dsa.command';
import { registerAuditCommand } from './audit.command';
import { registerProjectCommand } from './project.command';
import { registerOutcomesCommand } from './outcomes.command';
import { registerBenchCommand } from './bench.command';
import { registerDemo } from './demo.command';
import { registerKeyCommand } from './key.command';
import { registerSegmentCommand } from './segment.command';
import { registerValidityCommand } from './validity.command';
import { registerReleaseCommand } from './release.command';
import { registerDataLossCommand } from './data-loss.command';

/** Every verb of `linkage`: one file per verb under this folder, each adding itself here. */
export type CommandRegistrar = (program: Command) => void;

export const commandRegistrars: CommandRegistrar[] = [
  registerDemo,
  registerIngestCommand,
  registerDeadLettersCommand,
  registerLinkageReportCommand,
  registerLinkageReviewCommand,
  registerLinkageSensitivityCommand,
  registerServeCommand,
  registerGenerateCommand,
  registerTokenCommand,
  registerDsaCommand,
  registerAuditCommand,
  registerProjectCommand,
  registerOutcomesCommand,
  registerBenchCommand,
  registerKeyCommand,
  registerSegmentCommand,
  registerValidityCommand,
  registerReleaseCommand,
  registerDataLossCommand,
];
