import {
  Controller,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type INestMicroservice,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { createLogger } from '@linkage/common';
import { counter } from '@linkage/observability';
import { topicName, TOPICS } from '@linkage/transport';
import { PinoNestLogger } from '../pino-nest-logger';

/** A dead letter as the ingest edge publishes it: redacted, a reference and a reason only. */
export interface DeadLetterNotice {
  source: string;
  field: string;
  reason: string;
  ingestRunId: string | null;
}

const deadLetters = counter(
  'linkage_dead_letters_seen_total',
  'Dead letters seen on the dead-letter topic by the governance watch, by source and reason',
  ['source', 'reason'],
);

/**
 * What the governance side does with a dead letter: counts it by source and reason (a metric an
 * operator alerts on, and `counts()`), and logs one line naming the source, field, reason and
 * run (never a value: the edge published none). Counts are at least once: a redelivered letter
 * counts again; `linkage dead-letters` reads the exact, deduplicated list from the database.
 */
export class DeadLetterWatch {
  private readonly seen = new Map<string, number>();
  private readonly log = createLogger('governance-api').child({ component: 'dead-letter-watch' });

  record(message: unknown): DeadLetterNotice {
    const notice = noticeOf(message);
    deadLetters.inc({ source: notice.source, reason: notice.reason });
    const key = `${notice.source}|${notice.reason}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    this.log.warn(notice, 'dead letter');
    return notice;
  }

  /** Dead letters seen so far, by source and reason, sorted. */
  counts(): Array<{ source: string; reason: string; count: number }> {
    return [...this.seen.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, count]) => {
        const [source, reason] = key.split('|');
        return { source, reason, count };
      });
  }
}

/** The fields of a dead letter this watch reads; a message without them is counted as unreadable. */
function noticeOf(message: unknown): DeadLetterNotice {
  const m = (message ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const source = text(m.source);
  const reason = text(m.reason);
  if (!source || !reason)
    return { source: 'unknown', field: '', reason: 'unreadable_dead_letter', ingestRunId: null };
  return { source, field: text(m.field) ?? '', reason, ingestRunId: text(m.ingestRunId) ?? null };
}

/** The handler class for one topic name (the name is fixed when the class is decorated). */
function deadLetterWatchController(topic: string) {
  @Controller()
  class DeadLetterWatchController {
    constructor(@Inject(DeadLetterWatch) private readonly watch: DeadLetterWatch) {}

    @EventPattern(topic)
    onDeadLetter(@Payload() letter: unknown): void {
      this.watch.record(letter);
    }
  }
  return DeadLetterWatchController;
}

@Module({})
class DeadLetterWatchModule {
  static forTopic(topic: string, watch: DeadLetterWatch): DynamicModule {
    return {
      module: DeadLetterWatchModule,
      controllers: [deadLetterWatchController(topic)],
      providers: [{ provide: DeadLetterWatch, useValue: watch }],
    };
  }
}

export interface DeadLetterWatchOptions {
  brokers: string[];
  /** Topic prefix (tests, parallel environments); default `LINKAGE_TOPIC_PREFIX`. */
  topicPrefix?: string;
  /** The consumer group (default `linkage-dead-letter-watch`): one group sees each letter once. */
  groupId?: string;
  watch?: DeadLetterWatch;
}

/**
 * Watches `ingest.dead-letters.v1` through NestJS's Kafka microservice transport: a low-volume
 * topic whose messages are handled one at a time and whose offsets may be committed on the
 * transport's own schedule (a missed or repeated notice loses no data: the dead letters are in
 * the database). The hot-path consumers keep kafkajs directly (docs/ARCHITECTURE.md).
 */
export async function startDeadLetterWatch(
  options: DeadLetterWatchOptions,
): Promise<{ watch: DeadLetterWatch; topic: string; close(): Promise<void> }> {
  const watch = options.watch ?? new DeadLetterWatch();
  const topic = topicName(TOPICS.deadLetters, options.topicPrefix);
  // kafkajs restarts a crashed consumer on a timer; one that crashes while the watch stops (its
  // connection closed under it) must stay stopped, or it outlives `close()`.
  let stopping = false;
  const service: INestMicroservice = await NestFactory.createMicroservice<MicroserviceOptions>(
    DeadLetterWatchModule.forTopic(topic, watch),
    {
      transport: Transport.KAFKA,
      options: {
        client: { clientId: 'linkage-dead-letter-watch', brokers: options.brokers },
        consumer: {
          groupId: options.groupId ?? 'linkage-dead-letter-watch',
          retry: { restartOnFailure: () => Promise.resolve(!stopping) },
          // As the hot-path consumers (libs/transport): a short long-poll, so that a fetch in
          // flight when the watch stops comes back promptly (kafkajs does not wait for it).
          maxWaitTimeInMs: 200,
          heartbeatInterval: 1000,
          sessionTimeout: 10000,
        },
        // A new group reads the letters already there; after that, from its committed offsets.
        subscribe: { fromBeginning: true },
        postfixId: '',
      },
      logger: new PinoNestLogger(),
      abortOnError: false,
    },
  );
  await service.listen();
  return {
    watch,
    topic,
    close: async () => {
      stopping = true;
      await service.close();
    },
  };
}

export const DEAD_LETTER_WATCH_OPTIONS = Symbol('DEAD_LETTER_WATCH_OPTIONS');

/**
 * The watch as part of an app's lifecycle: started when the app starts, stopped when it closes
 * (a Nest app cannot be given another `close`: its proxy drops property writes).
 */
@Injectable()
export class DeadLetterWatchLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private running: { close(): Promise<void> } | undefined;

  constructor(
    @Inject(DEAD_LETTER_WATCH_OPTIONS) private readonly options: DeadLetterWatchOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.running = await startDeadLetterWatch(this.options);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.running?.close();
    this.running = undefined;
  }
}
