import 'reflect-metadata';
import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { ConfigurationError, type Logger } from '@linkage/common';
import type { Sql } from '@linkage/database';
import type { Ruleset } from '@linkage/domain';
import type { EventStore } from '@linkage/event-store';
import { runSegmentation, type SegmentationRunSummary } from './run-segmentation';

/** Default schedule: every night at 02:00 (server time). */
export const DEFAULT_SEGMENT_SCHEDULE = '0 2 * * *';

export interface ScheduledSegmentationOptions {
  sql: Sql;
  store: EventStore;
  rulesets: Ruleset[];
  /** A cron expression (`LINKAGE_SEGMENT_SCHEDULE`), e.g. `0 2 * * *`. */
  cron: string;
  /** The day to evaluate as of (default: the day the run starts). */
  asOf?: () => string;
  logger?: Logger;
  /** Called after each ruleset's run (the caller audits it). */
  onRun?: (summary: SegmentationRunSummary) => Promise<void>;
}

const OPTIONS = Symbol('SCHEDULED_SEGMENTATION_OPTIONS');

/** Runs the rulesets on the schedule, one run at a time (a run still going skips the next tick). */
@Injectable()
class SegmentationScheduler implements OnApplicationBootstrap {
  private running: Promise<void> | undefined;

  constructor(
    @Inject(OPTIONS) private readonly options: ScheduledSegmentationOptions,
    private readonly registry: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({ cronTime: this.options.cron, onTick: () => void this.tick() });
    this.registry.addCronJob('segmentation', job);
    job.start();
    this.options.logger?.info(
      { cron: this.options.cron, rulesets: this.options.rulesets.map((r) => r.id) },
      'segmentation scheduled',
    );
  }

  /** Resolves when no run is going. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** One scheduled run of every ruleset; resolves when done (also used by `runNow`). */
  tick(): Promise<void> {
    if (this.running) {
      this.options.logger?.warn('segmentation run still going: this tick is skipped');
      return this.running;
    }
    this.running = this.runAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runAll(): Promise<void> {
    const { sql, store, logger } = this.options;
    const asOf = this.options.asOf?.() ?? new Date().toISOString().slice(0, 10);
    for (const ruleset of this.options.rulesets) {
      try {
        const summary = await runSegmentation({
          sql,
          store,
          ruleset,
          asOf,
          actor: 'segmentation-scheduler',
          scheduled: true,
          logger,
          onProgress: (done, total) =>
            logger?.info({ ruleset: ruleset.id, done, total }, 'segmentation progress'),
        });
        await this.options.onRun?.(summary);
      } catch (error) {
        logger?.error(
          { ruleset: ruleset.id, err: { message: (error as Error).message } },
          'scheduled segmentation run failed',
        );
      }
    }
  }
}

@Module({})
class SegmentationScheduleModule {
  static forRoot(options: ScheduledSegmentationOptions): DynamicModule {
    return {
      module: SegmentationScheduleModule,
      imports: [ScheduleModule.forRoot()],
      providers: [{ provide: OPTIONS, useValue: options }, SegmentationScheduler],
    };
  }
}

export interface ScheduledSegmentation {
  /** Runs every ruleset now (as a tick would) and resolves when done. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps segments current in `linkage serve`: a NestJS application context with
 * `@nestjs/schedule` running the rulesets on a cron schedule. An invalid cron expression is a
 * configuration error at start, not a silent no-op.
 */
export async function startScheduledSegmentation(
  options: ScheduledSegmentationOptions,
): Promise<ScheduledSegmentation> {
  try {
    CronJob.from({ cronTime: options.cron, onTick: () => undefined });
  } catch {
    throw new ConfigurationError(
      'LINKAGE_SEGMENT_SCHEDULE is not a cron expression',
      'invalid_segment_schedule',
    );
  }
  const app = await NestFactory.createApplicationContext(
    SegmentationScheduleModule.forRoot(options),
    { logger: false },
  );
  await app.init();
  const scheduler = app.get(SegmentationScheduler);
  return {
    runNow: () => scheduler.tick(),
    stop: async () => {
      // Stop ticking first, then let a run in progress finish before closing.
      app.get(SchedulerRegistry).getCronJob('segmentation').stop();
      await scheduler.idle();
      await app.close();
    },
  };
}
