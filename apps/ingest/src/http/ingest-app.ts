import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Source } from '@linkage/contracts';
import type { EventStore } from '@linkage/event-store';
import {
  GovernanceExceptionFilter,
  GovernanceModule,
  linkageValidationPipe,
} from '@linkage/governance';
import { startEventWriter } from '../../../event-writer/src';
import type { IngestDependencies } from '../pipeline/ingest-run';
import { startRawTopicConsumers } from '../raw/raw-topic-consumer';
import { INGEST_DEPENDENCIES, IngestController } from './ingest.controller';
import { CqrsModule } from '@nestjs/cqrs';
import { IngestBatchHandler } from './ingest-batch.command';
import { LINKAGE_REVIEW_COMMAND_HANDLERS } from './linkage-review.commands';
import { LINKAGE_REVIEW_DEPENDENCIES, LinkageReviewController } from './linkage-review.controller';

export interface IngestAppOptions extends IngestDependencies {
  /** Consume `ingest.raw-<source>.v1` too (default true). */
  rawTopics?: boolean | readonly Source[];
  /** Also run the event writer in this process (needed with the in-process transport). */
  embeddedWriter?: boolean;
  store?: EventStore;
  /** Governance options (JWT secret, audit head file...); the database is `db`. */
  governance?: { jwtSecret?: Buffer; auditHeadFile?: string };
}

@Module({})
class IngestModule {
  static forRoot(options: IngestAppOptions): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        CqrsModule.forRoot(),
        GovernanceModule.forRoot({ db: options.db, ...options.governance }),
      ],
      controllers: [IngestController, LinkageReviewController],
      providers: [
        { provide: INGEST_DEPENDENCIES, useValue: options },
        IngestBatchHandler,
        { provide: LINKAGE_REVIEW_DEPENDENCIES, useValue: options },
        // Review decisions are commands on the app's CommandBus (linkage-review.commands.ts).
        ...LINKAGE_REVIEW_COMMAND_HANDLERS,
      ],
    };
  }
}

/**
 * The ingest service as a NestJS app (not yet listening: call `listen(port)`): the HTTP ingest
 * endpoint behind governance (permission `ingest`, every call audited), the raw-topic consumers
 * and, when asked, an embedded event writer. Closing the app stops the consumers.
 */
export async function createIngestApp(options: IngestAppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(IngestModule.forRoot(options), {
    bodyParser: false,
    logger: false,
    abortOnError: false,
  });
  app.useGlobalFilters(new GovernanceExceptionFilter());
  // Path and query parameters are DTOs (ingest.dto.ts); the body is a stream of records the
  // edge validates against contracts/ one by one.
  app.useGlobalPipes(linkageValidationPipe());
  app.enableShutdownHooks();
  const writer =
    options.embeddedWriter && options.store
      ? await startEventWriter({ ...options, store: options.store })
      : undefined;
  const sources =
    options.rawTopics === false
      ? []
      : options.rawTopics === true || options.rawTopics === undefined
        ? (['liferooms', 'cipha'] as const)
        : options.rawTopics;
  const raw = sources.length > 0 ? await startRawTopicConsumers(options, sources) : undefined;
  const close = app.close.bind(app);
  app.close = async () => {
    await raw?.stop();
    await writer?.stop();
    await close();
  };
  return app;
}
