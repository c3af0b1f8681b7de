import type { Sql } from '@linkage/database';
import { ensureIngestSchema } from '../storage/ingest-schema';

/** One dead letter: which record, which field, why. Never a value from the record. */
export interface DeadLetter {
  source: string;
  recordId: string | null;
  line: number | null;
  field: string;
  reason: string;
  ingestRunId: string | null;
  /** Where a record read from Kafka was (null for files and requests). */
  topic: string | null;
  partition: number | null;
  offset: string | null;
  at: Date;
}

/** Dead letters, newest first, filtered by source and reason. */
export async function listDeadLetters(
  sql: Sql,
  filter: { source?: string; reason?: string; limit?: number } = {},
): Promise<DeadLetter[]> {
  await ensureIngestSchema(sql);
  const limit = Math.max(1, Math.min(filter.limit ?? 100, 100_000));
  return sql<DeadLetter[]>`
    select source, record_id as "recordId", line, field, reason, ingest_run_id as "ingestRunId",
      topic, partition, kafka_offset::text as "offset", at
    from ingest.dead_letters
    where (${filter.source ?? null}::text is null or source = ${filter.source ?? null})
      and (${filter.reason ?? null}::text is null or reason = ${filter.reason ?? null})
    order by id desc
    limit ${limit}`;
}
