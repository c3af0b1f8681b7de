import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { serveOpenApi, type GovernanceModuleOptions } from '@linkage/governance';
import { ensureReadModel } from '../../projector/src';
import type { DeadLetterWatchOptions } from './dead-letters/dead-letter-watch';
import { GovernanceApiModule } from './governance-api.module';
import { PinoNestLogger } from './pino-nest-logger';

export interface GovernanceAppOptions extends GovernanceModuleOptions {
  /** Listen on this port (0 = any free one; read it with `app.getUrl()`); omitted: not listening. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Watch the dead-letter topic (a NestJS Kafka microservice started and closed with the app);
   * `serve` and `main.ts` turn it on when `KAFKA_BROKERS` is set.
   */
  deadLetterWatch?: DeadLetterWatchOptions;
}

/**
 * The governance API (audit search, verify, export, monthly report, release review, health,
 * metrics), created
 * and, when a port is given, listening. The caller closes it (`app.close()` signs the audit head).
 */
export async function createGovernanceApp(
  options: GovernanceAppOptions,
): Promise<INestApplication> {
  // Release requests produce analytics outputs: the read models must exist (empty is fine).
  await ensureReadModel(options.db.sql);
  const app = await NestFactory.create(GovernanceApiModule.forRoot(options), {
    logger: new PinoNestLogger(),
    abortOnError: false,
  });
  serveOpenApi(app, {
    title: 'linkage governance API',
    description:
      'The audit trail for governance officers: search, verify, export and the monthly report',
  });
  if (options.port !== undefined) await app.listen(options.port, options.host ?? '127.0.0.1');
  else await app.init();
  return app;
}
