import 'reflect-metadata';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Database } from '@linkage/database';
import type { DisclosurePolicy, PublishingPolicy } from '@linkage/domain';
import type { EventStore } from '@linkage/event-store';
import {
  GovernanceExceptionFilter,
  linkageValidationPipe,
  serveOpenApi,
} from '@linkage/governance';
import { ensureReadModel } from '../../projector/src';
import { AnalyticsApiModule } from './analytics-api.module';

export interface CreateAnalyticsAppOptions {
  db: Database;
  /** Listen on this port (0 = any free port); omit to only build the app (tests use `app.getHttpServer()`). */
  port?: number;
  host?: string;
  /** The event store, for projection lag on /health. */
  store?: EventStore;
  /** Token secret; default `loadJwtSecret()` (demo key only on the embedded database). */
  jwtSecret?: Buffer;
  disclosurePolicy?: PublishingPolicy | DisclosurePolicy;
  /** /health is unhealthy when subscribers are held back longer (default `LINKAGE_STALL_THRESHOLD_SECONDS` or 60). */
  stallThresholdSeconds?: number;
  /**
   * `false` computes, formats and serialises every answer afresh (the path the caches are
   * tested against); default true.
   */
  cacheComputations?: boolean;
  /** More modules on this origin: the CLI mounts the web page (`WebModule` from apps/web). */
  modules?: DynamicModule[];
}

export interface AnalyticsApp {
  app: INestApplication;
  /** `http://host:port` when listening. */
  url?: string;
  close(): Promise<void>;
}

/**
 * The analysts' API (NestJS): `/v1/cohort`, `/v1/outcomes`, `/v1/breakdowns/{dimension}`,
 * `/v1/wellbeing`, `/v1/matching/balance` (JSON, or CSV with `Accept: text/csv`), `/health`,
 * `/metrics`, OpenAPI at `/docs`. Guarded and audited by governance; every number is
 * disclosure-controlled.
 */
export async function createAnalyticsApp(
  options: CreateAnalyticsAppOptions,
): Promise<AnalyticsApp> {
  await ensureReadModel(options.db.sql);
  const app = await NestFactory.create(
    AnalyticsApiModule.forRoot({
      db: options.db,
      store: options.store,
      jwtSecret: options.jwtSecret,
      disclosurePolicy: options.disclosurePolicy,
      stallThresholdSeconds: options.stallThresholdSeconds,
      cacheComputations: options.cacheComputations,
      modules: options.modules,
    }),
    { logger: false },
  );
  app.useGlobalFilters(new GovernanceExceptionFilter());
  app.useGlobalPipes(linkageValidationPipe());
  serveOpenApi(app, {
    title: 'linkage analytics API',
    description: 'Disclosure-controlled outcomes of Life Rooms users vs matched controls',
  });
  let url: string | undefined;
  if (options.port !== undefined) {
    await app.listen(options.port, options.host ?? '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  } else {
    await app.init();
  }
  return { app, url, close: () => app.close() };
}
