import {
  TOPICS,
  consumerStatuses,
  topicName,
  type ConsumerStatus,
  type TopicRetention,
  type Transport,
} from '@linkage/transport';
import type { Sql } from '@linkage/database';
import { openDataLoss, type DataLossIncident } from '../storage/data-loss';
import {
  backpressureStatus,
  WRITER_GROUP as EVENT_WRITER_GROUP,
  type BackpressureStatus,
} from '../pipeline/writer-backpressure';
import { rawTopicRetention } from '../raw/raw-topic-retention';

/** What `GET /health` of the ingest service says. */
export interface IngestHealth {
  status: 'ok' | 'unhealthy';
  /** Why not ok (stable codes): `data_loss`, `consumer_stalled:<name>`, `writer_stalled`. */
  problems: string[];
  /** Consumers of this process (raw topics, an embedded event writer). */
  consumers: ConsumerStatus[];
  /** The event writer's group, seen from here (it may run in another process). */
  eventWriter: { lag: number | null; stalled: boolean };
  dataLoss: DataLossIncident[];
  /**
   * Publishers of this process held back because the event writer lags more than the bound
   * (`LINKAGE_WRITER_MAX_LAG`, `LINKAGE_WRITER_MAX_LAG_BYTES`): a normal state under load, shown so an operator sees why ingest
   * slowed; it does not make the service unhealthy (a writer that stops moving does).
   */
  backpressure: BackpressureStatus;
  /**
   * Retention of the raw identifiable topics as set at start: `refused` means the broker keeps
   * them for its default (a warning was logged with the command to set it there).
   */
  rawRetention: TopicRetention[];
}

/**
 * Health of the ingest side: unhealthy while a consumer of this process stalls or lost data,
 * while the event writer's group is behind without moving for `stallAfterMs` (it may run in
 * another process: its lag is read from the broker), or while a data-loss incident is open.
 */
export class IngestHealthCheck {
  private writerLag: number | null = null;
  private writerBehindSince: number | null = null;

  constructor(
    private readonly deps: {
      transport: Transport;
      db: { sql: Sql };
      topicPrefix?: string;
      /** The event writer's group (default `event-writer`). */
      writerGroupId?: string;
    },
    private readonly stallAfterMs = Number(process.env.LINKAGE_CONSUMER_STALL_MS ?? 60_000),
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<IngestHealth> {
    const problems: string[] = [];
    const consumers = await consumerStatuses();
    for (const c of consumers) {
      if (c.state === 'data_loss') problems.push(`data_loss:${c.name}`);
      else if (c.stalled) problems.push(`consumer_stalled:${c.name}`);
    }
    const dataLoss = await openDataLoss(this.deps.db.sql).catch(() => []);
    if (dataLoss.length > 0) problems.push('data_loss');
    const writer = await this.writerProgress();
    if (writer.stalled) problems.push('writer_stalled');
    return {
      status: problems.length === 0 ? 'ok' : 'unhealthy',
      problems: [...new Set(problems)],
      consumers,
      eventWriter: writer,
      dataLoss,
      backpressure: backpressureStatus(),
      rawRetention: rawTopicRetention(),
    };
  }

  /** Stalled: behind, and the lag has not gone down for `stallAfterMs`. */
  private async writerProgress(): Promise<{ lag: number | null; stalled: boolean }> {
    const topic = topicName(TOPICS.canonicalEvents, this.deps.topicPrefix);
    const lag = await this.deps.transport
      .lag(topic, this.deps.writerGroupId ?? EVENT_WRITER_GROUP)
      .then((l) => l.total)
      .catch(() => null);
    const t = this.now();
    if (lag === null) return { lag, stalled: false };
    if (lag === 0) this.writerBehindSince = null;
    else if (this.writerLag === null || lag < this.writerLag || this.writerBehindSince === null) {
      this.writerBehindSince = t;
    }
    this.writerLag = lag;
    const stalled =
      this.writerBehindSince !== null && t - this.writerBehindSince > this.stallAfterMs;
    return { lag, stalled };
  }
}
