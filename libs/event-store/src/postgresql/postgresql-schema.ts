/**
 * The `event_store` schema, created idempotently by `init()`.
 *
 * `streams` holds one row per stream with its current (0-based) version: appends lock that row,
 * so concurrent writers to one stream queue instead of racing for the same version, and the
 * expected-version check reads a value nobody else can change before we commit.
 *
 * `events.transaction_id` is the writing transaction's id (`pg_current_xact_id()`, xid8, never
 * wraps); with `global_position` it orders the global log (see `postgresql-event-store.ts`).
 */
export const EVENT_STORE_SCHEMA_SQL = `
create schema if not exists event_store;

create table if not exists event_store.streams (
  stream_id text primary key,
  version bigint not null
);

create table if not exists event_store.events (
  global_position bigserial primary key,
  transaction_id xid8 not null default pg_current_xact_id(),
  event_id uuid not null,
  stream_id text not null,
  stream_version bigint not null,
  type text not null,
  schema_version int not null,
  data jsonb not null,
  metadata jsonb not null default '{}'::jsonb,
  recorded_at timestamptz not null default now(),
  constraint events_event_id_key unique (event_id),
  constraint events_stream_version_key unique (stream_id, stream_version)
);

create index if not exists events_transaction_order_idx
  on event_store.events (transaction_id, global_position);

-- The readers' bound: the oldest transaction still running that could write to this database.
-- Like pg_snapshot_xmin(pg_current_snapshot()), but a transaction known to run in ANOTHER
-- database (pg_stat_activity) is left out, since it can never write our events; one that has
-- ended or cannot be placed still counts, so the bound is never later than it may be.
create or replace function event_store.visible_horizon() returns xid8
language sql stable as $$
  select coalesce(
    (select min(running)
       from pg_snapshot_xip(pg_current_snapshot()) as running
      where not exists (
        select 1 from pg_stat_activity other
         where other.backend_xid is not null
           and other.datname is distinct from current_database()
           and other.backend_xid::text::bigint = running::text::bigint % 4294967296)),
    pg_snapshot_xmax(pg_current_snapshot()))
$$;
`;

/** Serialises concurrent `init()` calls (two apps starting at once on a fresh database). */
export const EVENT_STORE_INIT_LOCK = 7_411_520_031;
