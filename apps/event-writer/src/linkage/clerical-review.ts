import { NotFoundError, ValidationError } from '@linkage/common';
import { deterministicUuid } from '@linkage/contracts';
import type { Database } from '@linkage/database';
import { transactionalStore, type EventStore, type StreamBatch } from '@linkage/event-store';
import {
  decideClerically,
  linkChangeEvents,
  type RecordLinkState,
  type ScoredCandidate,
} from '@linkage/domain';
import { lockLinkKeys } from './link-locks';
import { ensureLinkageSchema } from './linkage-schema';

/**
 * Clerical review: a linkage officer sees candidate pairs in the review band by their field-level
 * similarities and score (never an identifier: the record is named by its event id, the
 * candidate by its pseudonym) and accepts or rejects one. The decision is an event in the
 * person's stream (RecordLinked / RecordUnlinked, method `clerical`), written under the same
 * locks as the event writer's decisions; the caller audits it.
 */

export interface ReviewCandidate {
  /** The record (its event id: a derived UUID, not an identifier). */
  recordEventId: string;
  recordType: string;
  status: RecordLinkState['status'];
  /** The candidate person's pseudonym. */
  candidatePersonId: string;
  weight: number;
  similarities: ScoredCandidate['similarities'];
}

/** Candidate pairs of records waiting for review, best first. */
export async function listReviewCandidates(
  db: Database,
  options: { limit?: number } = {},
): Promise<ReviewCandidate[]> {
  await ensureLinkageSchema(db.sql);
  const limit = Math.min(Math.max(1, options.limit ?? 50), 1000);
  const rows = await db.sql<
    {
      event_id: string;
      record_type: string;
      status: RecordLinkState['status'];
      person_id: string;
      weight: number;
      similarities: ScoredCandidate['similarities'];
    }[]
  >`
    select rl.event_id::text as event_id, rl.record_type, rl.status, cp.person_id, cp.weight,
      cp.similarities
    from linkage.record_links rl
    join linkage.candidate_pairs cp on cp.event_id = rl.event_id
    where rl.status = 'review' and not rl.clerical
    order by cp.weight desc, rl.event_id, cp.person_id
    limit ${limit}`;
  return rows.map((r) => ({
    recordEventId: r.event_id,
    recordType: r.record_type,
    status: r.status,
    candidatePersonId: r.person_id,
    weight: r.weight,
    similarities: r.similarities,
  }));
}

export interface ReviewDecisionResult {
  recordEventId: string;
  candidatePersonId: string;
  decision: 'accept' | 'reject';
  status: RecordLinkState['status'];
  /** Decision events appended (0 when the decision changed nothing in the log). */
  events: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PSEUDONYM = /^[0-9a-f]{32}$/;

/** Records a linkage officer's decision on one candidate pair. */
export async function decideReview(options: {
  db: Database;
  store: EventStore;
  recordEventId: string;
  candidatePersonId: string;
  decision: 'accept' | 'reject';
  now: Date;
}): Promise<ReviewDecisionResult> {
  const { db, store, recordEventId, candidatePersonId, decision, now } = options;
  if (!UUID.test(recordEventId))
    throw new ValidationError({ field: '/record', reason: 'invalid_value' });
  if (!PSEUDONYM.test(candidatePersonId))
    throw new ValidationError({ field: '/candidate', reason: 'invalid_value' });
  if (decision !== 'accept' && decision !== 'reject')
    throw new ValidationError({ field: '/decision', reason: 'invalid_value' });
  await ensureLinkageSchema(db.sql);
  const transactional = transactionalStore(store, db.sql);
  let pending: StreamBatch[] = [];
  const result = await db.sql.begin(async (tx) => {
    const blocks = await tx<{ block: string }[]>`
      select block from linkage.record_blocks where event_id = ${recordEventId}::uuid`;
    await lockLinkKeys(
      tx,
      blocks.map((b) => b.block),
    );
    const [row] = await tx<
      {
        record_type: string;
        status: RecordLinkState['status'];
        person_id: string | null;
        weight: number | null;
        method: RecordLinkState['method'];
        version: number;
        clerical: boolean;
      }[]
    >`
      select record_type, status, person_id, weight, method, version, clerical
      from linkage.record_links where event_id = ${recordEventId}::uuid for update`;
    const [pair] = await tx<{ weight: number; similarities: ScoredCandidate['similarities'] }[]>`
      select weight, similarities from linkage.candidate_pairs
      where event_id = ${recordEventId}::uuid and person_id = ${candidatePersonId}`;
    if (!row || !pair) throw new NotFoundError('candidate pair');
    const state: RecordLinkState = {
      status: row.status,
      personId: row.person_id,
      weight: row.weight,
      method: row.method,
      version: row.version,
      clerical: row.clerical,
    };
    const change = decideClerically(
      recordEventId,
      state,
      { personId: candidatePersonId, weight: pair.weight, similarities: pair.similarities },
      decision,
    );
    const next = change?.next ?? state;
    const decisions = change
      ? linkChangeEvents(change, (parts) => deterministicUuid(parts.join('\u001f')), now)
      : [];
    const batches: StreamBatch[] = decisions.map((d) => ({
      streamId: d.streamId,
      events: [d.event],
    }));
    if (transactional && batches.length > 0)
      await transactional.appendManyInTransaction(tx, batches);
    else pending = batches;
    await tx`
      update linkage.record_links set status = ${next.status}, person_id = ${next.personId},
        weight = ${next.weight}, method = ${next.method}, version = ${next.version},
        clerical = ${next.clerical ?? false}, updated_at = now()
      where event_id = ${recordEventId}::uuid`;
    await tx`
      update ingest.linkage_index
      set linkage = ${next.status === 'linked' ? 'clerical' : 'unlinked'}
      where event_id = ${recordEventId}::uuid`;
    return {
      recordEventId,
      candidatePersonId,
      decision,
      status: next.status,
      events: decisions.length,
    };
  });
  // Another event store: append after the decision is recorded (idempotent by event id).
  if (pending.length > 0) await store.appendMany(pending);
  return result;
}
