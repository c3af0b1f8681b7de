import type postgres from 'postgres';
import { ConcurrencyError, ConfigurationError, ValidationError } from '@linkage/common';
import type { Sql } from '@linkage/database';
import {
  START,
  type AppendResult,
  type BatchAppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type Position,
  type ReadVisibility,
  type StoredEvent,
  type StreamBatch,
  type Subscription,
  type SubscriptionOptions,
} from '../event-store.port';
import { pollingSubscription } from '../polling-subscription';
import { copyField, copyIn } from './copy-in';
import { decodePosition, encodePosition } from './postgresql-position';
import {
  EVENT_STORE_INIT_LOCK,
  EVENT_STORE_SCHEMA_SQL,
  STREAM_LOCK_BUCKETS,
  STREAM_LOCK_SPACE,
} from './postgresql-schema';

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
 * (a long transaction in the database holds back subscribers; keep writes short). Transactions
 * known to run in other databases of the same server are left out of the bound
 * (`event_store.visible_horizon()` in `postgresql-schema.ts`), so they hold nothing back.
 * The same idea as event-driven-io/emmett's PostgreSQL store.
 */

type Tx = postgres.TransactionSql<Record<string, never>>;

/**
 * How `appendMany` writes: `copy` bumps the stream versions in one call and COPYs the events
 * into the table, one transaction (what `openEventStore` uses on a PostgreSQL server: fastest
 * there); `one-call` (the constructor's default) runs `event_store.append_events` (locks, bump
 * and an insert from json) in one round trip: embedded PGlite uses it, since a COPY FROM STDIN
 * over pglite-socket 0.2 never completes; `statements` sends the lock, look-up, version upsert
 * and insert separately (kept for the bench's side-by-side comparison).
 * `appendManyInTransaction` uses `one-call` under `copy` (see there).
 */
export type AppendStrategy = 'copy' | 'one-call' | 'statements';
type Runner = Sql | Tx;

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

/**
 * The PostgreSQL event store (schema `event_store`), on the real server or on embedded PGlite.
 * One server-side call per append (see `appendInOneCall`); see the comment above for how the
 * global order is kept.
 */
export class PostgresqlEventStore implements EventStore {
  readonly backend = 'postgresql' as const;
  private readonly subscriptions = new Set<Subscription>();

  /** @param sql a postgres.js pool; `close()` ends it only when `ownsConnection` is true. */
  constructor(
    private readonly sql: Sql,
    private readonly options: {
      ownsConnection?: boolean;
      close?: () => Promise<void>;
      /** How `appendMany` writes (default `one-call`; see AppendStrategy). */
      appendStrategy?: AppendStrategy;
    } = {},
  ) {}

  /**
   * Whether a failed append transaction (or a caller's transaction around
   * `appendManyInTransaction`) should simply be run again: deadlock, serialization failure, or
   * a concurrent writer storing one of the same event ids meanwhile (unique violation).
   */
  static isRetryable(error: unknown): boolean {
    const code = (error as { code?: string } | undefined)?.code;
    return code !== undefined && RETRYABLE.has(code);
  }

  /** How `appendMany` writes (see AppendStrategy). */
  get appendStrategy(): AppendStrategy {
    return this.options.appendStrategy ?? 'one-call';
  }

  /** Whether this store writes through `sql` (so a caller may share its transactions). */
  usesConnection(sql: Sql): boolean {
    return this.sql === sql;
  }

  /**
   * Creates the schema; refuses (ConfigurationError `transaction_ids_ahead_of_server`) when the
   * stored events carry transaction ids at or above the server's own, which happens when a dump
   * is restored into another server: its counter starts lower, so every new event would sort
   * below the stored ones and subscribers would stall for good. docs/OPERATIONS.md says what to do.
   */
  async init(): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${EVENT_STORE_INIT_LOCK})`;
      await tx.unsafe(EVENT_STORE_SCHEMA_SQL);
      const [row] = await tx<{ stored: string | null; server: string }[]>`
        select (select transaction_id from event_store.events
                 order by transaction_id desc limit 1)::text as stored,
               pg_current_xact_id()::text as server`;
      if (row.stored !== null && BigInt(row.stored) >= BigInt(row.server)) {
        throw new ConfigurationError(
          `the event store holds transaction ids up to ${row.stored}, ahead of this server's ` +
            `${row.server}: the database was restored into a server whose transaction counter ` +
            'is lower, so new events would sort before stored ones and subscribers would stall ' +
            'for good. Refusing to start; see "Restoring the event store" in docs/OPERATIONS.md',
          'transaction_ids_ahead_of_server',
        );
      }
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
        const result = await this.appendInOneCall(tx, [{ streamId, events }]);
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
    switch (this.appendStrategy) {
      case 'statements':
        return this.withRetry(() => this.sql.begin((tx) => this.appendByStatements(tx, batches)));
      case 'one-call':
        return this.withRetry(() => this.appendInOneCall(this.sql, batches));
      case 'copy':
        return this.appendByCopy(batches);
    }
  }

  /**
   * Appends inside the caller's transaction (expected version 'any'), e.g. to commit a consumer
   * checkpoint together with the events. A race with a concurrent writer of the same event id
   * throws (`PostgresqlEventStore.isRetryable`); the caller retries its transaction. Append
   * before writing anything else in that transaction, so that its transaction id is taken after
   * the stream locks (see lockStreams). Under `copy` this is the one-call append: a stored id
   * would fail a COPY and with it the caller's transaction, where the one call undoes only its
   * own writes (its subtransaction) and names the stored ids.
   */
  async appendManyInTransaction(tx: Tx, batches: StreamBatch[]): Promise<BatchAppendResult> {
    if (this.options.appendStrategy === 'statements') return this.appendByStatements(tx, batches);
    return this.appendInOneCall(tx, batches);
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
      where transaction_id < event_store.visible_horizon()
      order by transaction_id desc, global_position desc
      limit 1`;
    return row ? encodePosition(row.tx_id, row.seq) : START;
  }

  async countAfter(from: Position): Promise<number> {
    const { transactionId, globalPosition } = decodePosition(from);
    const [row] = await this.sql<{ n: bigint | number }[]>`
      select count(*) as n
      from event_store.events
      where transaction_id < event_store.visible_horizon()
        and (transaction_id, global_position) > (${transactionId.toString()}::xid8, ${globalPosition.toString()}::bigint)`;
    return Number(row.n);
  }

  async visibility(): Promise<ReadVisibility> {
    // The horizon's transaction is found by its 32-bit xid among sessions (xact_start) or
    // prepared transactions (prepared); events at or above the horizon are committed but held.
    const [row] = await this.sql<
      { held_back: bigint | number; oldest: Date | null; age: number | string | null }[]
    >`
      with h as (select event_store.visible_horizon() as x)
      select
        (select count(*) from event_store.events, h where transaction_id >= h.x) as held_back,
        (select min(recorded_at) from event_store.events, h where transaction_id >= h.x) as oldest,
        coalesce(
          (select extract(epoch from clock_timestamp() - a.xact_start)
             from pg_stat_activity a, h
            where a.backend_xid is not null
              and a.backend_xid::text::bigint = h.x::text::bigint % 4294967296
            limit 1),
          (select extract(epoch from clock_timestamp() - p.prepared)
             from pg_prepared_xacts p, h
            where p.transaction::text::bigint = h.x::text::bigint % 4294967296
            limit 1),
          0) as age
      from h`;
    return {
      heldBackEvents: Number(row.held_back),
      horizonAgeSeconds: Math.max(0, Number(row.age ?? 0)),
      ...(row.oldest ? { oldestHeldBackAt: row.oldest } : {}),
    };
  }

  async awaitVisible(timeoutMs: number): Promise<boolean> {
    // Every transaction that committed before now has an id below this snapshot's xmax.
    const [{ xmax }] = await this.sql<{ xmax: string }[]>`
      select pg_snapshot_xmax(pg_current_snapshot())::text as xmax`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ ok }] = await this.sql<{ ok: boolean }[]>`
        select event_store.visible_horizon() >= ${xmax}::xid8 as ok`;
      if (ok) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
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
      where transaction_id < event_store.visible_horizon()
        and (transaction_id, global_position) > (${transactionId.toString()}::xid8, ${globalPosition.toString()}::bigint)
      order by transaction_id, global_position
      limit ${maxCount}`;
    return rows.map(toStoredEvent);
  }

  /**
   * Appends a batch in ONE round trip: `event_store.append_events` (postgresql-schema.ts) takes
   * the stream locks, checks that none of the new ids is stored, bumps the streams' versions and
   * inserts the events numbered here (each event's offset from its stream's new version). When
   * some ids turn out to be stored already (a redelivery, or one id in two streams), the function
   * writes nothing and names them; they become duplicates and the call is made again (each
   * repeat removes at least one id, so this ends). Called outside a transaction it runs as one
   * implicit transaction (no BEGIN/COMMIT round trips); a concurrent writer of one of our ids
   * (under another lock bucket) makes the insert fail with a unique violation, which is retried.
   */
  private async appendInOneCall(
    runner: Runner,
    batches: StreamBatch[],
  ): Promise<BatchAppendResult> {
    const streamIds = validateBatches(batches);
    const stored = new Set<string>();
    for (;;) {
      const plan = planAppend(batches, stored);
      const bumped = [...plan.counts.keys()].sort();
      const untouched = streamIds.filter((id) => !plan.counts.has(id));
      const ordinal = new Map<string, number>();
      const input = plan.fresh.map((f, i) => {
        const k = (ordinal.get(f.stream) ?? 0) + 1;
        ordinal.set(f.stream, k);
        return {
          i,
          id: f.id,
          s: f.stream,
          o: k - plan.counts.get(f.stream)!,
          t: f.event.type,
          v: f.event.schemaVersion,
          d: f.event.data,
          m: f.event.metadata ?? {},
        };
      });
      const rows = await runner<
        { out_kind: string; out_key: string; out_version: string | null }[]
      >`
        select out_kind, out_key, out_version::text from event_store.append_events(
          ${streamIds}::text[], ${plan.fresh.map((f) => f.id)}::uuid[], ${bumped}::text[],
          ${bumped.map((id) => plan.counts.get(id)!)}::bigint[], ${untouched}::text[],
          ${JSON.stringify(input)}::text::json)`;
      const alreadyStored = rows.filter((r) => r.out_kind === 'stored');
      if (alreadyStored.length === 0) {
        const versions = new Map<string, number>();
        for (const r of rows) versions.set(r.out_key, Number(r.out_version));
        return summarise(batches, plan.isFresh, versions);
      }
      for (const r of alreadyStored) stored.add(r.out_key);
    }
  }

  /**
   * Appends a batch as COPY, the way PostgreSQL loads rows fastest (several rows per WAL record,
   * no per-row executor), in one transaction: `event_store.bump_stream_versions` takes the
   * stream locks and bumps the versions (one round trip), the events are numbered here from the
   * new versions and COPYed into `event_store.events`, then COMMIT. Nothing looks for stored
   * ids first: a stored one (a redelivery, one id in two streams) fails the COPY with a unique
   * violation and the transaction rolls back; then one look-up names the ids stored, they become
   * duplicates and the batch is appended again (each repeat removes at least one id, so this
   * ends). A violation with none of our ids stored (a concurrent writer of one of them rolled
   * back), a deadlock or a serialization failure is retried as a whole, as the other paths do.
   */
  private async appendByCopy(batches: StreamBatch[]): Promise<BatchAppendResult> {
    const streamIds = validateBatches(batches);
    const stored = new Set<string>();
    for (let attempt = 1; ;) {
      const plan = planAppend(batches, stored);
      try {
        const versions = await this.sql.begin((tx) => copyPlan(tx, streamIds, plan));
        return summarise(batches, plan.isFresh, versions);
      } catch (error) {
        if (!PostgresqlEventStore.isRetryable(error)) throw error;
        const found = isUniqueViolation(error) ? await this.storedAmong(plan.fresh) : [];
        for (const id of found) stored.add(id);
        if (found.length > 0) continue;
        attempt += 1;
        if (attempt > MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async storedAmong(fresh: AppendPlan['fresh']): Promise<string[]> {
    const rows = await this.sql<{ id: string }[]>`
      select event_id::text as id from event_store.events
      where event_id = any(${fresh.map((f) => f.id)}::uuid[])`;
    return rows.map((r) => r.id);
  }

  /**
   * The same append in separate statements under the stream locks (the previous default, kept
   * for the bench's A/B and as `appendStrategy: 'statements'`): look up which ids are stored
   * already, bump each stream's version by its count of new events (in stream-id order),
   * insert the new events in input order with the versions numbered here, and read the version
   * of streams that got nothing new. A concurrent writer of one of our ids (on another stream)
   * makes the insert fail with a unique violation: the transaction is retried.
   */
  private async appendByStatements(tx: Tx, batches: StreamBatch[]): Promise<BatchAppendResult> {
    const streamIds = validateBatches(batches);
    const ids = batches.flatMap((b) => b.events.map((e) => e.eventId));
    await lockStreams(tx, streamIds);
    const stored = new Set<string>();
    if (ids.length > 0) {
      const rows = await tx<{ id: string }[]>`
        select event_id::text as id from event_store.events where event_id = any(${ids}::uuid[])`;
      for (const r of rows) stored.add(r.id);
    }
    const { isFresh, fresh, counts } = planAppend(batches, stored);

    const versions = new Map<string, number>();
    if (counts.size > 0) {
      const bumpedIds = [...counts.keys()].sort();
      const rows = await tx<{ stream_id: string; version: bigint | number }[]>`
        insert into event_store.streams as st (stream_id, version)
        select s, n - 1 from unnest(${bumpedIds}::text[], ${bumpedIds.map((id) => counts.get(id)!)}::bigint[]) as x(s, n)
        order by s
        on conflict (stream_id) do update set version = st.version + excluded.version + 1
        returning stream_id, version`;
      for (const r of rows) versions.set(r.stream_id, Number(r.version));
      // Number each stream's new events after its previous version, in input order.
      const next = new Map<string, number>();
      for (const [streamId, last] of versions) next.set(streamId, last - counts.get(streamId)! + 1);
      const input = fresh.map((f, i) => {
        const sv = next.get(f.stream)!;
        next.set(f.stream, sv + 1);
        return {
          i,
          id: f.id,
          s: f.stream,
          sv,
          t: f.event.type,
          v: f.event.schemaVersion,
          d: f.event.data,
          m: f.event.metadata ?? {},
        };
      });
      await tx`
        insert into event_store.events
          (event_id, stream_id, stream_version, type, schema_version, data, metadata)
        select id, s, sv, t, v, d, m
        from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb)
          as r(i int, id uuid, s text, sv bigint, t text, v int, d jsonb, m jsonb)
        order by i`;
    }
    const untouched = streamIds.filter((id) => !versions.has(id));
    if (untouched.length > 0) {
      for (const [id, version] of await this.streamVersions(untouched, tx)) {
        versions.set(id, version);
      }
    }
    return summarise(batches, isFresh, versions);
  }

  private async streamVersions(
    streamIds: string[],
    runner: Runner = this.sql,
  ): Promise<Map<string, number>> {
    const rows = await runner<{ stream_id: string; version: bigint | number }[]>`
      select stream_id, version from event_store.streams where stream_id = any(${streamIds})`;
    return new Map(rows.map((r) => [r.stream_id, Number(r.version)]));
  }

  /** Retries a whole transaction on deadlock, serialization failure or a detected id race. */
  private async withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!PostgresqlEventStore.isRetryable(error) || n >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

const COPY_EVENTS =
  'copy event_store.events ' +
  '(event_id, stream_id, stream_version, type, schema_version, data, metadata) from stdin';

/**
 * Inside the append's transaction: locks and bumps the streams (one call), then COPYs the new
 * events numbered after each stream's previous version, in input order. Returns every stream's
 * version after the append.
 */
async function copyPlan(
  tx: Tx,
  streamIds: string[],
  plan: AppendPlan,
): Promise<Map<string, number>> {
  const bumped = [...plan.counts.keys()].sort();
  const untouched = streamIds.filter((id) => !plan.counts.has(id));
  const bump = tx<{ out_key: string; out_version: string }[]>`
    select out_key, out_version::text from event_store.bump_stream_versions(
      ${streamIds}::text[], ${bumped}::text[],
      ${bumped.map((id) => plan.counts.get(id)!)}::bigint[], ${untouched}::text[])`;
  // Sent now, so that the rows' text (all but their versions) is built while the server takes
  // the locks and bumps the versions, instead of after.
  void bump.execute();
  const rows = copyRowsWithoutVersions(plan.fresh);
  const versions = new Map<string, number>();
  for (const r of await bump) versions.set(r.out_key, Number(r.out_version));
  if (plan.fresh.length === 0) return versions;
  const next = new Map<string, number>();
  for (const id of bumped) next.set(id, versions.get(id)! - plan.counts.get(id)! + 1);
  let text = '';
  plan.fresh.forEach((f, i) => {
    const version = next.get(f.stream)!;
    next.set(f.stream, version + 1);
    text += rows.heads[i] + version + rows.tails[i];
  });
  await copyIn(tx, COPY_EVENTS, text);
  return versions;
}

/** Each new event's COPY row around its stream version: `id\tstream\t` and the rest of the line. */
function copyRowsWithoutVersions(fresh: AppendPlan['fresh']): { heads: string[]; tails: string[] } {
  const heads = new Array<string>(fresh.length);
  const tails = new Array<string>(fresh.length);
  fresh.forEach((f, i) => {
    heads[i] = `${f.id}\t${copyField(f.stream)}\t`;
    tails[i] =
      `\t${copyField(f.event.type)}\t${f.event.schemaVersion}\t` +
      `${copyField(JSON.stringify(f.event.data))}\t` +
      `${copyField(JSON.stringify(f.event.metadata ?? {}))}\n`;
  });
  return { heads, tails };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === '23505';
}

/** Checks every event's schema version; returns the call's stream ids, first occurrence order. */
function validateBatches(batches: StreamBatch[]): string[] {
  const streamIds: string[] = [];
  const seen = new Set<string>();
  for (const batch of batches) {
    if (!seen.has(batch.streamId)) {
      seen.add(batch.streamId);
      streamIds.push(batch.streamId);
    }
    for (const e of batch.events) {
      if (!Number.isInteger(e.schemaVersion)) {
        throw new ValidationError({ field: '/schemaVersion', reason: 'not_an_integer' });
      }
    }
  }
  return streamIds;
}

interface AppendPlan {
  /** Per event occurrence in input order: whether it is appended (else a duplicate). */
  isFresh: boolean[];
  fresh: { stream: string; event: EventToAppend; id: string }[];
  /** New events per stream. */
  counts: Map<string, number>;
}

/** The first occurrence of each id not in `stored` is new; everything else is a duplicate. */
function planAppend(batches: StreamBatch[], stored: ReadonlySet<string>): AppendPlan {
  const taken = new Set<string>();
  const plan: AppendPlan = { isFresh: [], fresh: [], counts: new Map() };
  for (const batch of batches) {
    for (const e of batch.events) {
      const id = e.eventId.toLowerCase();
      const isNew = !stored.has(id) && !taken.has(id);
      plan.isFresh.push(isNew);
      if (!isNew) continue;
      taken.add(id);
      plan.fresh.push({ stream: batch.streamId, event: e, id });
      plan.counts.set(batch.streamId, (plan.counts.get(batch.streamId) ?? 0) + 1);
    }
  }
  return plan;
}

/** The per-stream results of an append, from its plan and the streams' versions after it. */
function summarise(
  batches: StreamBatch[],
  isFresh: boolean[],
  versions: ReadonlyMap<string, number>,
): BatchAppendResult {
  let appended = 0;
  let duplicates = 0;
  let occurrence = 0;
  const perStream = new Map<string, AppendResult>();
  for (const batch of batches) {
    let result = perStream.get(batch.streamId);
    if (!result) {
      result = {
        streamId: batch.streamId,
        nextExpectedVersion: versions.get(batch.streamId) ?? -1,
        appended: [],
        duplicates: [],
      };
      perStream.set(batch.streamId, result);
    }
    for (const e of batch.events) {
      if (isFresh[occurrence++]) {
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
