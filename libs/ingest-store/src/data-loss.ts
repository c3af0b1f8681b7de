import type { Sql } from '@linkage/database';
import type { DataLoss } from '@linkage/transport';

/** An open data-loss incident, as `/health` shows it. */
export interface DataLossIncident {
  consumer: string;
  topic: string;
  partition: number;
  expectedOffset: string | null;
  firstOffset: string | null;
  reason: string;
  runsFailed: number;
  detectedAt: string;
}

/**
 * Records that a consumer lost messages. When the lost messages were canonical events
 * (`failRuns`), every run still waiting for the store is failed `data_loss`: which of them lost
 * events cannot be known, and none may be reported stored in full.
 */
export async function recordDataLoss(
  sql: Sql,
  consumer: string,
  loss: DataLoss,
  options: { failRuns: boolean },
): Promise<void> {
  await sql.begin(async (tx) => {
    const failed = options.failRuns
      ? await tx`
          update ingest.ingest_runs
          set status = 'failed', failure = 'data_loss', finished_at = now()
          where status in ('running', 'published')
          returning ingest_run_id`
      : [];
    await tx`
      insert into ingest.data_loss
        (consumer, topic, partition, expected_offset, first_offset, reason, runs_failed)
      values (${consumer}, ${loss.topic}, ${loss.partition}, ${loss.expectedOffset},
              ${loss.firstOffset}, ${loss.reason}, ${failed.length})`;
  });
}

/** Incidents no operator has resolved yet. */
export async function openDataLoss(sql: Sql): Promise<DataLossIncident[]> {
  const rows = await sql<
    {
      consumer: string;
      topic: string;
      partition: number;
      expected_offset: string | null;
      first_offset: string | null;
      reason: string;
      runs_failed: number;
      detected_at: Date;
    }[]
  >`
    select consumer, topic, partition, expected_offset::text, first_offset::text, reason,
           runs_failed, detected_at
    from ingest.data_loss where resolved_at is null order by id`;
  return rows.map((r) => ({
    consumer: r.consumer,
    topic: r.topic,
    partition: r.partition,
    expectedOffset: r.expected_offset,
    firstOffset: r.first_offset,
    reason: r.reason,
    runsFailed: r.runs_failed,
    detectedAt: new Date(r.detected_at).toISOString(),
  }));
}

/** The oldest unresolved loss of a consumer, as the transport reported it (or null). */
export async function unresolvedLossOf(sql: Sql, consumer: string): Promise<DataLoss | null> {
  const open = (await openDataLoss(sql)).find((i) => i.consumer === consumer);
  return open
    ? {
        topic: open.topic,
        partition: open.partition,
        expectedOffset: open.expectedOffset,
        firstOffset: open.firstOffset,
        reason: open.reason as DataLoss['reason'],
      }
    : null;
}

/**
 * Marks a consumer's losses resolved (an operator has re-ingested what was lost, or accepted
 * it); the consumer starts again on its next start. Returns how many were open.
 */
export async function resolveDataLoss(sql: Sql, consumer: string): Promise<number> {
  const rows = await sql`
    update ingest.data_loss set resolved_at = now()
    where consumer = ${consumer} and resolved_at is null returning id`;
  return rows.length;
}
