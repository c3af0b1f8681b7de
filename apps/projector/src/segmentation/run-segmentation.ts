import { randomUUID } from 'node:crypto';
import type { Logger } from '@linkage/common';
import { deterministicUuid } from '@linkage/contracts';
import type { Sql } from '@linkage/database';
import {
  decideSegmentRun,
  evaluatePerson,
  evolveMembership,
  initialMembershipState,
  segmentKeysOf,
  segmentSizes,
  type MembershipState,
  type PersonEvaluation,
  type Ruleset,
  type SegmentMembershipEvent,
} from '@linkage/domain';
import type { EventStore, EventToAppend } from '@linkage/event-store';
import { loadPersonFacts } from './load-person-facts';
import { ensureSegmentationSchema } from './segmentation.schema';

/** The membership stream of a ruleset in the event store. */
export const membershipStream = (rulesetId: string) => `segments-${rulesetId}`;

const APPEND_CHUNK = 2000;
const READ_PAGE = 5000;

export interface SegmentationRunOptions {
  sql: Sql;
  store: EventStore;
  ruleset: Ruleset;
  /** Evaluate as of this day (`YYYY-MM-DD`). */
  asOf: string;
  /** Who ran it (for the run log; the caller audits the run). */
  actor: string;
  scheduled?: boolean;
  runId?: string;
  logger?: Logger;
  /** Progress: persons evaluated so far, and the total when known. */
  onProgress?: (evaluated: number, total: number) => void;
  readModelSchema?: string;
}

export interface SegmentationRunSummary {
  runId: string;
  rulesetId: string;
  rulesetVersion: string;
  asOf: string;
  persons: number;
  assigned: number;
  removed: number;
  /** Members per segment key after the run (every key of the ruleset, zero included). */
  sizes: Record<string, number>;
  streamVersion: number;
  durationMs: number;
}

/** Replays a ruleset's membership stream: the members after the last recorded run. */
export async function loadMembership(
  store: EventStore,
  rulesetId: string,
): Promise<{ state: MembershipState; version: number }> {
  const state = initialMembershipState();
  let version = -1;
  for (;;) {
    const page = await store.readStream(membershipStream(rulesetId), {
      fromVersion: version + 1,
      maxCount: READ_PAGE,
    });
    for (const e of page) {
      evolveMembership(state, { type: e.type, data: e.data } as unknown as SegmentMembershipEvent);
      version = e.streamVersion;
    }
    if (page.length < READ_PAGE) return { state, version };
  }
}

/**
 * Runs a ruleset over the read models as of a date and records only the changes as membership
 * events (assigned / removed, with run id, ruleset version and the criteria matched) on the
 * ruleset's stream, appended with the expected version so that two concurrent runs cannot both
 * record. Then refreshes the current-member table from the replayed state and logs the run.
 * A run over unchanged data appends nothing.
 */
export async function runSegmentation(
  options: SegmentationRunOptions,
): Promise<SegmentationRunSummary> {
  const { sql, store, ruleset, asOf } = options;
  const started = new Date();
  const runId =
    options.runId ?? `run-${started.toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  await ensureSegmentationSchema(sql);
  const schema = options.readModelSchema ?? 'read_model';
  const [{ position = '' } = {}] = await sql<{ position: string }[]>`
    select position from ${sql(schema)}.checkpoint where projection = 'read-models'`;
  const [{ total }] = await sql<{ total: number }[]>`
    select count(*)::int as total from ${sql(schema)}.person_profile`;

  const { state, version } = await loadMembership(store, ruleset.id);
  const evaluations: PersonEvaluation[] = [];
  for await (const page of loadPersonFacts(sql, ruleset, asOf, { schema })) {
    for (const facts of page) evaluations.push(evaluatePerson(ruleset, facts, asOf));
    options.onProgress?.(evaluations.length, total);
  }
  const context = { runId, rulesetId: ruleset.id, rulesetVersion: ruleset.version, asOf };
  const events = decideSegmentRun({ context, evaluations }, state);

  let streamVersion = version;
  for (let i = 0; i < events.length; i += APPEND_CHUNK) {
    const chunk: EventToAppend[] = events.slice(i, i + APPEND_CHUNK).map((e) => ({
      eventId: deterministicUuid(
        `segmentation\u001f${runId}\u001f${e.type}\u001f${e.data.segment}\u001f${e.data.personId}`,
      ),
      type: e.type,
      schemaVersion: 1,
      data: e.data as unknown as Record<string, unknown>,
      metadata: { receivedAt: new Date().toISOString() },
    }));
    const result = await store.appendToStream(membershipStream(ruleset.id), chunk, {
      expectedVersion: streamVersion,
    });
    streamVersion = result.nextExpectedVersion;
  }
  for (const e of events) evolveMembership(state, e);

  const sizes: Record<string, number> = Object.fromEntries(
    segmentKeysOf(ruleset).map((s) => [s.key, 0]),
  );
  Object.assign(sizes, segmentSizes(state));
  await writeMembers(sql, ruleset.id, state, events.length > 0 || version < 0);
  await writeMemberHistory(sql, store, ruleset.id, streamVersion);
  const assigned = events.filter((e) => e.type === 'SegmentMemberAssigned').length;
  const removed = events.length - assigned;
  const finished = new Date();
  await sql`
    insert into segmentation.run (run_id, ruleset_id, ruleset_version, as_of, started_at,
      finished_at, persons, assigned, removed, sizes, stream_version, read_model_position, actor,
      scheduled)
    values (${runId}, ${ruleset.id}, ${ruleset.version}, ${asOf}, ${started}, ${finished},
      ${evaluations.length}, ${assigned}, ${removed}, ${sql.json(sizes)}, ${streamVersion},
      ${position}, ${options.actor}, ${options.scheduled ?? false})`;
  const summary: SegmentationRunSummary = {
    runId,
    rulesetId: ruleset.id,
    rulesetVersion: ruleset.version,
    asOf,
    persons: evaluations.length,
    assigned,
    removed,
    sizes,
    streamVersion,
    durationMs: finished.getTime() - started.getTime(),
  };
  options.logger?.info(
    {
      runId,
      ruleset: ruleset.id,
      version: ruleset.version,
      persons: summary.persons,
      assigned,
      removed,
      durationMs: summary.durationMs,
    },
    'segmentation run finished',
  );
  return summary;
}

// The change history is a projection of the stream too: it catches up from the last version it
// holds (so runs recorded before the table existed are filled in by the next run).
async function writeMemberHistory(
  sql: Sql,
  store: EventStore,
  rulesetId: string,
  streamVersion: number,
): Promise<void> {
  const [{ held }] = await sql<{ held: number }[]>`
    select coalesce(max(version), -1)::int as held from segmentation.member_change
    where ruleset_id = ${rulesetId}`;
  for (let from = held + 1; from <= streamVersion;) {
    const page = await store.readStream(membershipStream(rulesetId), {
      fromVersion: from,
      maxCount: READ_PAGE,
    });
    if (page.length === 0) return;
    const rows = page.map((e) => ({
      version: e.streamVersion,
      segment: String(e.data.segment),
      person_id: String(e.data.personId),
      assigned: e.type === 'SegmentMemberAssigned',
    }));
    await sql`
      insert into segmentation.member_change (ruleset_id, version, segment, person_id, assigned)
      select ${rulesetId}, version, segment, person_id, assigned
      from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
        as x(version int, segment text, person_id text, assigned boolean)
      on conflict do nothing`;
    from = page[page.length - 1].streamVersion + 1;
  }
}

// The current-member table is a projection of the stream: rewritten for the ruleset in one
// transaction whenever the stream changed, so readers see the members of one run or the next.
async function writeMembers(
  sql: Sql,
  rulesetId: string,
  state: MembershipState,
  changed: boolean,
): Promise<void> {
  if (!changed) {
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from segmentation.member where ruleset_id = ${rulesetId}`;
    const expected = [...state.members.values()].reduce((a, m) => a + m.size, 0);
    if (n === expected) return;
  }
  const rows: { segment: string; person_id: string; run_id: string; criteria: string[] }[] = [];
  for (const [segment, members] of state.members)
    for (const [personId, m] of members)
      rows.push({ segment, person_id: personId, run_id: m.runId, criteria: m.criteria });
  await sql.begin(async (tx) => {
    await tx`delete from segmentation.member where ruleset_id = ${rulesetId}`;
    for (let i = 0; i < rows.length; i += 20_000) {
      const chunk = rows.slice(i, i + 20_000);
      await tx`
        insert into segmentation.member (ruleset_id, segment, person_id, assigned_run, criteria)
        select ${rulesetId}, segment, person_id, run_id, criteria
        from jsonb_to_recordset(${JSON.stringify(chunk)}::text::jsonb)
          as x(segment text, person_id text, run_id text, criteria jsonb)`;
    }
  });
}
