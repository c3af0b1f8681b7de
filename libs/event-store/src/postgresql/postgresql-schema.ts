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
/** Advisory lock namespace (first key) of the stream buckets. */
export const STREAM_LOCK_SPACE = 7_411_520;
/** Streams hash into this many lock buckets: bounded lock-table use however big a batch is. */
export const STREAM_LOCK_BUCKETS = 256;

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

-- One append in one round trip (see appendInOneCall in postgresql-event-store.ts). It takes the
-- stream-bucket locks first (before anything is written, so the transaction id is assigned
-- after them), then optimistically bumps each stream's version by its count and inserts the
-- events in input order at (the stream's new version + the event's offset). When an id is
-- stored already (a redelivery, one id in two streams), the insert's unique violation undoes
-- both writes (the block is a subtransaction) and the function returns the stored ids instead
-- (the client drops them, renumbers and calls again); so no look-up runs before the insert.
-- Otherwise it returns the versions of every stream in the call. The events come as json, not
-- jsonb: each event's data is parsed once, by its cast to jsonb (jsonb_to_recordset parses the
-- whole document and then copies every value out again: about 1.5 times the insert's time).
create or replace function event_store.append_events(
  lock_streams text[], fresh_ids uuid[], bumped text[], bump_counts bigint[],
  untouched text[], fresh json)
returns table (out_kind text, out_key text, out_version bigint)
language plpgsql as $fn$
declare
  versions jsonb;
begin
  perform pg_advisory_xact_lock(${STREAM_LOCK_SPACE}, b)
     from (select distinct (hashtext(s) & ${STREAM_LOCK_BUCKETS - 1}) as b
             from unnest(lock_streams) as s order by b) as buckets;
  begin
    with bumps as (
      insert into event_store.streams as st (stream_id, version)
      select x.s, x.n - 1 from unnest(bumped, bump_counts) as x(s, n) order by x.s
      on conflict (stream_id) do update set version = st.version + excluded.version + 1
      returning st.stream_id, st.version)
    select coalesce(jsonb_object_agg(bumps.stream_id, bumps.version), '{}'::jsonb)
      into versions from bumps;
    insert into event_store.events
      (event_id, stream_id, stream_version, type, schema_version, data, metadata)
    select r.id, r.s, (versions ->> r.s)::bigint + r.o, r.t, r.v, r.d::jsonb, r.m::jsonb
      from json_to_recordset(fresh)
        as r(i int, id uuid, s text, o bigint, t text, v int, d json, m json)
     order by r.i;
  exception when unique_violation then
    return query
      select 'stored'::text, e.event_id::text, null::bigint
        from event_store.events e where e.event_id = any(fresh_ids);
    if found then
      return;
    end if;
    raise; -- not one of our ids (cannot happen under the stream locks)
  end;
  return query
    select 'stream'::text, v.key, v.value::bigint from jsonb_each_text(versions) as v;
  return query
    select 'stream'::text, st.stream_id, st.version
      from event_store.streams st where st.stream_id = any(untouched);
end
$fn$;

-- The first half of the COPY append (appendByCopy in postgresql-event-store.ts), in one round
-- trip: the stream-bucket locks (first, as in append_events, so the transaction id is assigned
-- after them), then each bumped stream's version raised by its count of new events. Returns the
-- bumped streams' new versions and the untouched streams' current ones; the client numbers the
-- events from them and COPYs them into event_store.events.
create or replace function event_store.bump_stream_versions(
  lock_streams text[], bumped text[], bump_counts bigint[], untouched text[])
returns table (out_key text, out_version bigint)
language plpgsql as $fn$
begin
  perform pg_advisory_xact_lock(${STREAM_LOCK_SPACE}, b)
     from (select distinct (hashtext(s) & ${STREAM_LOCK_BUCKETS - 1}) as b
             from unnest(lock_streams) as s order by b) as buckets;
  return query
    insert into event_store.streams as st (stream_id, version)
    select x.s, x.n - 1 from unnest(bumped, bump_counts) as x(s, n) order by x.s
    on conflict (stream_id) do update set version = st.version + excluded.version + 1
    returning st.stream_id, st.version;
  return query
    select st.stream_id, st.version
      from event_store.streams st where st.stream_id = any(untouched);
end
$fn$;
`;

/** Serialises concurrent `init()` calls (two apps starting at once on a fresh database). */
export const EVENT_STORE_INIT_LOCK = 7_411_520_031;
