import type { LoggerService } from '@nestjs/common';
import { createLogger, Logger } from '@linkage/common';

/** NestJS's own messages through pino on stderr (stdout stays for command output). */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger = createLogger('governance-api')) {}
  log(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, _trace?: string, context?: string) {
    this.logger.error({ context }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
