import type postgres from 'postgres';
import { ConcurrencyError, ValidationError } from '@linkage/common';
import type { Sql } from '@linkage/database';
import {
  START,
  type AppendResult,
  type BatchAppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type Position,
  type StoredEvent,
  type StreamBatch,
  type Subscription,
  type SubscriptionOptions,
} from '../event-store.port';
import { pollingSubscription } from '../polling-subscription';
import { decodePosition, encodePosition } from './postgresql-position';
import { EVENT_STORE_INIT_LOCK, EVENT_STORE_SCHEMA_SQL } from './postgresql-schema';

/*
 * Global order without skipped events
 * -----------------------------------
 * `global_position` is a bigserial: numbers are handed out when a row is inserted, but become
 * visible when the inserting transaction commits. Transaction A can take 10, transaction B 11,
 * B commits first: a reader that saw 11 and moved its checkpoint past it would never see 10.
 *
 * So every event also records the id of the transaction that wrote it (`pg_current_xact_id()`,
 * a 64-bit xid8) and readers only return events whose transaction id is below
 * `pg_snapshot_xmin(pg_current_snapshot())`: every transaction with an id under that bound has
 * finished (committed or rolled back), so no new event can ever appear below it. Ordering by
 * `(transaction_id, global_position)` therefore yields a prefix that only grows at its end, and
 * a checkpoint (the position string encodes both numbers) can never be overtaken by a late
 * commit. The price: while a writing transaction is open, events of later transactions wait
 * (a long transaction anywhere in the database holds back subscribers; keep writes short).
 * The same idea as event-driven-io/emmett's PostgreSQL store.
 */

type Tx = postgres.TransactionSql<Record<string, never>>;
type Runner = Sql | Tx;

interface AppendRow {
  k: 'e' | 's';
  id: string | null;
  s: string;
  v: bigint | number;
  n: bigint | number;
}

/** `tx_id`/`seq`, not the column names: ORDER BY would otherwise sort the text copies. */
interface EventRow {
  tx_id: string;
  seq: string;
  event_id: string;
  stream_id: string;
  stream_version: bigint | number;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

const RETRYABLE = new Set(['40P01', '40001', '23505']);
const MAX_ATTEMPTS = 8;

/** Signals that a concurrent writer stored one of our event ids meanwhile: retry the batch. */
class RaceDetected extends Error {}

/**
 * The PostgreSQL event store (schema `event_store`), on the real server or on embedded PGlite.
 * One multi-row statement per append; see the comment above for how the global order is kept.
 */
export class PostgresqlEventStore implements EventStore {
  readonly backend = 'postgresql' as const;
  private readonly subscriptions = new Set<Subscription>();

  /** @param sql a postgres.js pool; `close()` ends it only when `ownsConnection` is true. */
  constructor(
    private readonly sql: Sql,
    private readonly options: { ownsConnection?: boolean; close?: () => Promise<void> } = {},
  ) {}

  async init(): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${EVENT_STORE_INIT_LOCK})`;
      await tx.unsafe(EVENT_STORE_SCHEMA_SQL);
    });
  }

  async appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedVersion?: ExpectedVersion } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedVersion ?? 'any';
    return this.withRetry(() =>
      this.sql.begin(async (tx) => {
        await lockStreams(tx, [streamId]);
        // Lock the stream's row (creating it at -1 if needed) so the version we check is the
        // version we append after; a concurrent appender waits until we commit.
        const [row] = await tx<{ version: bigint | number }[]>`
          insert into event_store.streams as st (stream_id, version) values (${streamId}, -1)
          on conflict (stream_id) do update set version = st.version
          returning version`;
        const current = Number(row.version);
        if (!matches(expected, current)) {
          throw new ConcurrencyError(streamId, String(expected), String(current));
        }
        if (events.length === 0) {
          return { streamId, nextExpectedVersion: current, appended: [], duplicates: [] };
        }
        const result = await this.appendIn(tx, [{ streamId, events }]);
        return result.streams[0];
      }),
    );
  }

  async appendMany(batches: StreamBatch[]): Promise<BatchAppendResult> {
    if (batches.every((b) => b.events.length === 0)) {
      const versions = await this.streamVersions(batches.map((b) => b.streamId));
      const streams = [...new Set(batches.map((b) => b.streamId))].map((streamId) => ({
        streamId,
        nextExpectedVersion: versions.get(streamId) ?? -1,
        appended: [],
        duplicates: [],
      }));
      return { appended: 0, duplicates: 0, streams };
    }
    return this.withRetry(() => this.sql.begin((tx) => this.appendIn(tx, batches)));
  }

  /**
   * Appends inside the caller's transaction (expected version 'any'), e.g. to commit a consumer
   * checkpoint together with the events. A race with a concurrent writer of the same event id
   * throws; the caller retries its transaction. Append before writing anything else in that
   * transaction, so that its transaction id is taken after the stream locks (see lockStreams).
   */
  async appendManyInTransaction(tx: Tx, batches: StreamBatch[]): Promise<BatchAppendResult> {
    return this.appendIn(tx, batches);
  }

  async readStream(
    streamId: string,
    options: { fromVersion?: number; maxCount?: number } = {},
  ): Promise<StoredEvent[]> {
    const from = options.fromVersion ?? 0;
    const limit = options.maxCount ?? 1_000_000_000;
    const rows = await this.sql<EventRow[]>`
      select transaction_id::text as tx_id, global_position::text as seq, event_id::text, stream_id,
             stream_version, type, schema_version, data, metadata, recorded_at
      from event_store.events
      where stream_id = ${streamId} and stream_version >= ${from}
      order by stream_version
      limit ${limit}`;
    return rows.map(toStoredEvent);
  }

  async readAll(options: { from?: Position; maxCount?: number } = {}): Promise<StoredEvent[]> {
    return this.readAfter(this.sql, options.from ?? START, options.maxCount ?? 1000);
  }

  subscribeToAll(options: SubscriptionOptions): Subscription {
    decodePosition(options.from); // fail fast on a malformed checkpoint
    const subscription = pollingSubscription(
      (from, maxCount) => this.readAfter(this.sql, from, maxCount),
      options,
      (s) => this.subscriptions.delete(s),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position> {
    const [row] = await this.sql<{ tx_id: string; seq: string }[]>`
      select transaction_id::text as tx_id, global_position::text as seq
      from event_store.events
      where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      order by transaction_id desc, global_position desc
      limit 1`;
    return row ? encodePosition(row.tx_id, row.seq) : START;
  }

  async countAfter(from: Position): Promise<number> {
    const { transactionId, globalPosition } = decodePosition(from);
    const [row] = await this.sql<{ n: bigint | number }[]>`
      select count(*) as n
      from event_store.events
      where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        and (transaction_id, global_position) > (${transactionId.toString()}::xid8, ${globalPosition.toString()}::bigint)`;
    return Number(row.n);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.options.close) await this.options.close();
    else if (this.options.ownsConnection) await this.sql.end({ timeout: 5 });
  }

  private async readAfter(
    runner: Runner,
    from: Position,
    maxCount: number,
  ): Promise<StoredEvent[]> {
    const { transactionId, globalPosition } = decodePosition(from);
    const rows = await runner<EventRow[]>`
      select transaction_id::text as tx_id, global_position::text as seq, event_id::text, stream_id,
             stream_version, type, schema_version, data, metadata, recorded_at
      from event_store.events
      where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        and (transaction_id, global_position) > (${transactionId.toString()}::xid8, ${globalPosition.toString()}::bigint)
      order by transaction_id, global_position
      limit ${maxCount}`;
    return rows.map(toStoredEvent);
  }

  /**
   * One statement for the whole batch: dedupe ids (within the batch and against stored events),
   * bump each stream's version by its count of new events (locking the stream rows in stream-id
   * order so two batches cannot deadlock on them), number the events per stream, insert them in
   * input order (`on conflict (event_id) do nothing` covers a concurrent writer of the same id).
   * It returns inserted events plus one summary row per stream.
   */
  private async appendIn(tx: Tx, batches: StreamBatch[]): Promise<BatchAppendResult> {
    const input: Record<string, unknown>[] = [];
    for (const batch of batches) {
      for (const e of batch.events) {
        if (!Number.isInteger(e.schemaVersion)) {
          throw new ValidationError({ field: '/schemaVersion', reason: 'not_an_integer' });
        }
        input.push({
          i: input.length,
          id: e.eventId,
          s: batch.streamId,
          t: e.type,
          v: e.schemaVersion,
          d: e.data,
          m: e.metadata ?? {},
        });
      }
    }
    await lockStreams(tx, [...new Set(batches.map((b) => b.streamId))]);
    const rows = await tx<AppendRow[]>`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb)
          as r(i int, id uuid, s text, t text, v int, d jsonb, m jsonb)
      ),
      first_of_id as (
        select distinct on (id) * from input order by id, i
      ),
      -- A lateral lookup per id, so the plan stays an index probe even when the planner has no
      -- statistics yet (a hash anti join would scan the whole events table).
      fresh as (
        select f.* from first_of_id f
        left join lateral (
          select true as hit from event_store.events e where e.event_id = f.id limit 1
        ) stored on true
        where stored.hit is null
      ),
      counts as (
        select s, count(*)::bigint as n from fresh group by s
      ),
      bumped as (
        insert into event_store.streams as st (stream_id, version)
        select s, n - 1 from counts order by s
        on conflict (stream_id) do update set version = st.version + excluded.version + 1
        returning stream_id, version
      ),
      -- A one-row map instead of a join: the planner cannot estimate the input's size and
      -- picked a nested loop over the CTEs (seconds for a batch of 5000).
      bumped_map as materialized (
        select jsonb_object_agg(stream_id, version) as m from bumped
      ),
      based as materialized (
        select f.*, (b.m ->> f.s)::bigint as last from fresh f cross join bumped_map b
      ),
      numbered as (
        select *,
               last - count(*) over (partition by s) + row_number() over (partition by s order by i) as sv
        from based
      ),
      inserted as (
        insert into event_store.events
          (event_id, stream_id, stream_version, type, schema_version, data, metadata)
        select id, s, sv, t, v, d, m from numbered order by i
        on conflict (event_id) do nothing
        returning event_id, stream_id, stream_version
      )
      select 'e' as k, event_id::text as id, stream_id as s, stream_version as v, 0::bigint as n
      from inserted
      union all
      select 's', null, x.s,
             coalesce(b.version, (select st.version from event_store.streams st where st.stream_id = x.s), -1),
             coalesce(c.n, 0)
      from (select distinct s from input) x
      left join bumped b on b.stream_id = x.s
      left join counts c on c.s = x.s`;

    const insertedByStream = new Map<string, Set<string>>();
    const summary = new Map<string, { version: number; planned: number }>();
    for (const row of rows) {
      if (row.k === 'e') {
        let set = insertedByStream.get(row.s);
        if (!set) insertedByStream.set(row.s, (set = new Set()));
        set.add(row.id as string);
      } else {
        summary.set(row.s, { version: Number(row.v), planned: Number(row.n) });
      }
    }
    for (const [streamId, { planned }] of summary) {
      // Fewer rows than planned: a concurrent transaction committed one of our ids after our
      // snapshot, leaving a hole in this stream's versions. Roll back and try again.
      if ((insertedByStream.get(streamId)?.size ?? 0) !== planned) throw new RaceDetected();
    }

    let appended = 0;
    let duplicates = 0;
    const perStream = new Map<string, AppendResult>();
    for (const batch of batches) {
      let result = perStream.get(batch.streamId);
      if (!result) {
        result = {
          streamId: batch.streamId,
          nextExpectedVersion: summary.get(batch.streamId)?.version ?? -1,
          appended: [],
          duplicates: [],
        };
        perStream.set(batch.streamId, result);
      }
      const inserted = insertedByStream.get(batch.streamId);
      for (const e of batch.events) {
        const id = e.eventId.toLowerCase();
        if (inserted?.delete(id)) {
          result.appended.push(e.eventId);
          appended += 1;
        } else {
          result.duplicates.push(e.eventId);
          duplicates += 1;
        }
      }
    }
    return { appended, duplicates, streams: [...perStream.values()] };
  }

  private async streamVersions(streamIds: string[]): Promise<Map<string, number>> {
    const rows = await this.sql<{ stream_id: string; version: bigint | number }[]>`
      select stream_id, version from event_store.streams where stream_id = any(${streamIds})`;
    return new Map(rows.map((r) => [r.stream_id, Number(r.version)]));
  }

  /** Retries a whole transaction on deadlock, serialization failure or a detected id race. */
  private async withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n += 1) {
      try {
        return await attempt();
      } catch (error) {
        const code = (error as { code?: string }).code;
        const retryable =
          error instanceof RaceDetected || (code !== undefined && RETRYABLE.has(code));
        if (!retryable || n >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

/** Advisory lock namespace (first key) of the stream buckets. */
const STREAM_LOCK_SPACE = 7_411_520;
/** Streams hash into this many lock buckets: bounded lock-table use however big a batch is. */
const STREAM_LOCK_BUCKETS = 256;

/**
 * Takes transaction-scoped advisory locks on the streams' buckets, in bucket order (no deadlock
 * between two appenders), BEFORE the transaction writes anything. Advisory locks do not assign
 * a transaction id, so the id is assigned only once the streams are ours: of two transactions
 * writing the same stream, the one that commits first has the lower id, and each stream's
 * versions appear in the global order in version order, as on EventStoreDB. Buckets rather than
 * one lock per stream keep a 5000-stream batch from filling PostgreSQL's lock table; unrelated
 * streams sharing a bucket only wait for each other.
 */
async function lockStreams(tx: Tx, streamIds: string[]): Promise<void> {
  await tx`
    select pg_advisory_xact_lock(${STREAM_LOCK_SPACE}::int, b)
    from (
      select distinct (hashtext(s) & ${STREAM_LOCK_BUCKETS - 1}::int) as b
      from unnest(${streamIds}::text[]) as s
      order by b
    ) buckets`;
}

function matches(expected: ExpectedVersion, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === -1;
    case 'stream_exists':
      return current >= 0;
    default:
      return current === expected;
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    position: encodePosition(row.tx_id, row.seq),
    recordedAt: row.recorded_at,
  };
}
