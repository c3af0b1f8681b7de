import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type INestApplication,
} from '@nestjs/common';
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

const BACKGROUND_WORK = Symbol('ingest background work');

/** What the app runs beside HTTP (raw-topic consumers, the embedded writer), started after create. */
interface BackgroundWork {
  stops: (() => Promise<void>)[];
}

/**
 * Stops the background work when the app closes. A lifecycle hook, because assigning a new
 * `app.close` is silently dropped: with `abortOnError: false` Nest hands back a proxy whose
 * `set` trap ignores assignments, so the consumers used to outlive the app.
 */
@Injectable()
class StopBackgroundWork implements BeforeApplicationShutdown {
  constructor(@Inject(BACKGROUND_WORK) private readonly work: BackgroundWork) {}

  async beforeApplicationShutdown(): Promise<void> {
    for (const stop of this.work.stops.splice(0)) await stop();
  }
}

@Module({})
class IngestModule {
  static forRoot(options: IngestAppOptions, work: BackgroundWork): DynamicModule {
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
        { provide: BACKGROUND_WORK, useValue: work },
        StopBackgroundWork,
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
  const work: BackgroundWork = { stops: [] };
  const app = await NestFactory.create(IngestModule.forRoot(options, work), {
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
  // Consumers first (they feed the writer), then the writer.
  if (raw) work.stops.push(() => raw.stop());
  if (writer) work.stops.push(() => writer.stop());
  return app;
}
