import { ValidationError } from '@linkage/common';
import { deterministicUuid } from '@linkage/contracts';
import type { Database } from '@linkage/database';
import { transactionalStore, type EventStore, type StreamBatch } from '@linkage/event-store';
import {
  decidePersonMerge,
  PersonMergeRefusedError,
  PERSON_MERGE_REASONS,
  PERSON_SPLIT_REASONS,
  type PersonMergeCommand,
} from '@linkage/domain';
import { ensureLinkageSchema } from './linkage-schema';

/**
 * Merge and split of NHS-numbered persons: a linkage officer's decision (after an NHS number
 * correction, or a duplicate registration found) recorded as a `PersonsMerged` / `PersonsSplit`
 * event on the merged person's stream. Decided here, beside the record link decisions, under one
 * lock; the read models follow the events. Persons are named by pseudonym only; the caller audits.
 */

export interface PersonMergeResult {
  decision: 'merge' | 'split';
  survivorId: string;
  mergedId: string;
  /** Whom the merged person is attributed to now. */
  attributedTo: string;
  /** Decision events appended (0 when the same decision was already in force). */
  events: number;
}

const PSEUDONYM = /^[0-9a-f]{32}$/;
/** One merge decision at a time: they are rare, and each reads both persons' merge state. */
const MERGE_LOCK = 7345011;

export async function decidePersonMergeCommand(options: {
  db: Database;
  store: EventStore;
  decision: 'merge' | 'split';
  survivorId: string;
  mergedId: string;
  reason: string;
  now: Date;
}): Promise<PersonMergeResult> {
  const { db, store, decision, survivorId, mergedId, reason, now } = options;
  if (decision !== 'merge' && decision !== 'split')
    throw new ValidationError({ field: '/decision', reason: 'invalid_value' });
  if (!PSEUDONYM.test(survivorId))
    throw new ValidationError({ field: '/survivor', reason: 'invalid_value' });
  if (!PSEUDONYM.test(mergedId))
    throw new ValidationError({ field: '/merged', reason: 'invalid_value' });
  const reasons: readonly string[] =
    decision === 'merge' ? PERSON_MERGE_REASONS : PERSON_SPLIT_REASONS;
  if (!reasons.includes(reason))
    throw new ValidationError({ field: '/reason', reason: 'invalid_value' });
  const command = (
    decision === 'merge'
      ? { type: 'MergePersons', survivorId, mergedId, reason }
      : { type: 'SplitPersons', survivorId, mergedId, reason }
  ) as PersonMergeCommand;

  await ensureLinkageSchema(db.sql);
  const transactional = transactionalStore(store, db.sql);
  let pending: StreamBatch[] = [];
  const result = await db.sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MERGE_LOCK})`;
    const rows = await tx<{ merged_id: string; survivor_id: string | null; version: number }[]>`
      select merged_id, survivor_id, version from linkage.person_merges
      where merged_id in (${survivorId}, ${mergedId})`;
    const merged = rows.find((r) => r.merged_id === mergedId);
    const survivor = rows.find((r) => r.merged_id === survivorId);
    const [{ n }] = await tx<{ n: number }[]>`
      select count(*)::int as n from linkage.person_merges where survivor_id = ${mergedId}`;
    let decided;
    try {
      decided = decidePersonMerge(
        command,
        {
          mergedInto: merged?.survivor_id ?? null,
          version: merged?.version ?? 0,
          survivorIsMerged: (survivor?.survivor_id ?? null) !== null,
          mergedHasMerged: n > 0,
        },
        (parts) => deterministicUuid(parts.join('\u001f')),
        now,
      );
    } catch (error) {
      if (error instanceof PersonMergeRefusedError)
        throw new ValidationError({ field: error.field, reason: error.reason });
      throw error;
    }
    if (decided) {
      const batches: StreamBatch[] = [{ streamId: decided.streamId, events: [decided.event] }];
      if (transactional) await transactional.appendManyInTransaction(tx, batches);
      else pending = batches;
      await tx`
        insert into linkage.person_merges (merged_id, survivor_id, version, updated_at)
        values (${mergedId}, ${decision === 'merge' ? survivorId : null}, ${decided.event.data.decision}, now())
        on conflict (merged_id) do update set survivor_id = excluded.survivor_id,
          version = excluded.version, updated_at = now()`;
    }
    const attributedTo = decision === 'merge' ? survivorId : mergedId;
    return { decision, survivorId, mergedId, attributedTo, events: decided ? 1 : 0 };
  });
  // Another event store: append after the decision is recorded (idempotent by event id).
  if (pending.length > 0) await store.appendMany(pending);
  return result;
}
