import { NotFoundError, ValidationError } from '@linkage/common';
import type { Sql } from '@linkage/database';
import type { DataLoss } from '@linkage/transport';

/** A data-loss incident, as `/health` and `linkage data-loss list` show it. */
export interface DataLossIncident {
  id: number;
  consumer: string;
  /** The consumer group that lost the messages (null for incidents recorded before it was kept). */
  groupId: string | null;
  topic: string;
  partition: number;
  expectedOffset: string | null;
  firstOffset: string | null;
  /** Messages lost, when both offsets are known (`firstOffset - expectedOffset`). */
  lost: number | null;
  reason: string;
  runsFailed: number;
  detectedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

/**
 * Why an operator may close an incident (stable codes, never free text: the audit trail and
 * this table hold no prose that could carry an identifier).
 */
export const DATA_LOSS_RESOLUTIONS = ['reingested', 'accepted_loss', 'not_lost'] as const;
export type DataLossResolution = (typeof DATA_LOSS_RESOLUTIONS)[number];

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
        (consumer, group_id, topic, partition, expected_offset, first_offset, reason, runs_failed)
      values (${consumer}, ${loss.groupId ?? null}, ${loss.topic}, ${loss.partition},
              ${loss.expectedOffset}, ${loss.firstOffset}, ${loss.reason}, ${failed.length})`;
  });
}

type IncidentRow = {
  id: string;
  consumer: string;
  group_id: string | null;
  topic: string;
  partition: number;
  expected_offset: string | null;
  first_offset: string | null;
  reason: string;
  runs_failed: number;
  detected_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
};

function toIncident(r: IncidentRow): DataLossIncident {
  const lost =
    r.expected_offset !== null && r.first_offset !== null
      ? Number(BigInt(r.first_offset) - BigInt(r.expected_offset))
      : null;
  return {
    id: Number(r.id),
    consumer: r.consumer,
    groupId: r.group_id,
    topic: r.topic,
    partition: r.partition,
    expectedOffset: r.expected_offset,
    firstOffset: r.first_offset,
    lost,
    reason: r.reason,
    runsFailed: r.runs_failed,
    detectedAt: new Date(r.detected_at).toISOString(),
    resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
    resolvedBy: r.resolved_by,
    resolution: r.resolution,
  };
}

/** Incidents, oldest first: open ones only unless `all`. */
export async function listDataLoss(
  sql: Sql,
  options: { all?: boolean } = {},
): Promise<DataLossIncident[]> {
  const rows = await sql<IncidentRow[]>`
    select id::text, consumer, group_id, topic, partition, expected_offset::text,
           first_offset::text, reason, runs_failed, detected_at, resolved_at, resolved_by,
           resolution
    from ingest.data_loss
    where ${options.all ? sql`true` : sql`resolved_at is null`}
    order by id`;
  return rows.map(toIncident);
}

/** Incidents no operator has resolved yet. */
export function openDataLoss(sql: Sql): Promise<DataLossIncident[]> {
  return listDataLoss(sql);
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
        ...(open.groupId ? { groupId: open.groupId } : {}),
      }
    : null;
}

/**
 * Closes one incident: an operator has re-ingested what was lost, accepted the loss, or found
 * nothing lost. The group's recorded position on that partition is forgotten, so the consumer
 * takes the next offset it is given as where it stands (otherwise it would find the same gap
 * again); a running consumer notices and starts again by itself. Throws NotFoundError for an
 * unknown incident and ValidationError `already_resolved` for a closed one.
 */
export async function resolveDataLossIncident(
  sql: Sql,
  id: number,
  resolution: { reason: DataLossResolution; by: string },
): Promise<DataLossIncident> {
  if (!(DATA_LOSS_RESOLUTIONS as readonly string[]).includes(resolution.reason)) {
    throw new ValidationError({
      record: { source: 'data-loss', recordId: String(id) },
      field: '/reason',
      reason: 'invalid_value',
    });
  }
  return sql.begin(async (tx) => {
    const [row] = await tx<IncidentRow[]>`
      select id::text, consumer, group_id, topic, partition, expected_offset::text,
             first_offset::text, reason, runs_failed, detected_at, resolved_at, resolved_by,
             resolution
      from ingest.data_loss where id = ${id} for update`;
    if (!row) throw new NotFoundError(`data-loss incident ${id}`);
    if (row.resolved_at) {
      throw new ValidationError({
        record: { source: 'data-loss', recordId: String(id) },
        field: '/id',
        reason: 'already_resolved',
      });
    }
    const [updated] = await tx<IncidentRow[]>`
      update ingest.data_loss
      set resolved_at = now(), resolved_by = ${resolution.by}, resolution = ${resolution.reason}
      where id = ${id}
      returning id::text, consumer, group_id, topic, partition, expected_offset::text,
                first_offset::text, reason, runs_failed, detected_at, resolved_at, resolved_by,
                resolution`;
    await tx`
      delete from ingest.consumer_positions
      where topic = ${row.topic} and partition = ${row.partition}
        and (${row.group_id}::text is null or group_id = ${row.group_id})`;
    return toIncident(updated);
  });
}

/**
 * Marks every open loss of a consumer resolved (`accepted_loss`); returns how many were open.
 * Prefer `resolveDataLossIncident`, which names the incident and the reason.
 */
export async function resolveDataLoss(sql: Sql, consumer: string): Promise<number> {
  const open = (await openDataLoss(sql)).filter((i) => i.consumer === consumer);
  for (const i of open) {
    await resolveDataLossIncident(sql, i.id, { reason: 'accepted_loss', by: 'system' });
  }
  return open.length;
}
