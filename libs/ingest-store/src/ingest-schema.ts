import type { Sql } from '@linkage/database';

/**
 * The `ingest` schema: dead letters, ingest runs (what a run sent and what the event writer made
 * of it), the link-key table and the linkage index. Created idempotently, under an advisory lock
 * so that processes starting together (ingest, event writer) do not race on `create`.
 * Nothing here holds an identifier: only record ids, pseudonyms, codes and counts.
 */
export async function ensureIngestSchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(7345001)`;
    await tx.unsafe(`
      create schema if not exists ingest;
      create table if not exists ingest.ingest_runs (
        ingest_run_id text primary key,
        source text not null,
        origin text not null,
        started_at timestamptz not null default now(),
        finished_at timestamptz,
        status text not null default 'running',
        records bigint not null default 0,
        rejected bigint not null default 0,
        published bigint,
        processed bigint not null default 0,
        accepted bigint not null default 0,
        duplicates bigint not null default 0
      );
      create table if not exists ingest.run_progress (
        ingest_run_id text not null,
        topic text not null,
        partition integer not null,
        last_offset bigint not null,
        primary key (ingest_run_id, topic, partition)
      );
      create table if not exists ingest.dead_letters (
        id bigserial primary key,
        source text not null,
        record_id text,
        line integer,
        field text not null,
        reason text not null,
        ingest_run_id text,
        at timestamptz not null default now()
      );
      create index if not exists dead_letters_by_source_reason on ingest.dead_letters (source, reason);
      create table if not exists ingest.link_keys (
        link_key text primary key,
        person_id text not null,
        linked_at timestamptz not null default now()
      );
      create table if not exists ingest.linkage_index (
        event_id uuid primary key,
        source text not null,
        record_type text not null,
        linkage text not null,
        link_key text,
        stream_id text not null,
        ingest_run_id text,
        postcode_in_lookup boolean,
        recorded_at timestamptz not null default now()
      );
      create index if not exists linkage_index_unlinked
        on ingest.linkage_index (link_key) where linkage = 'unlinked';
      create index if not exists linkage_index_by_run on ingest.linkage_index (ingest_run_id);
      -- A run ends 'stored', 'failed' or 'aborted'; failure says why (a stable code).
      alter table ingest.ingest_runs add column if not exists failure text;
      -- Dead letters from Kafka name their message; dedupe_key makes them idempotent.
      alter table ingest.dead_letters add column if not exists topic text;
      alter table ingest.dead_letters add column if not exists partition integer;
      alter table ingest.dead_letters add column if not exists kafka_offset bigint;
      alter table ingest.dead_letters add column if not exists dedupe_key text;
      create unique index if not exists dead_letters_dedupe on ingest.dead_letters (dedupe_key);
      -- Messages a consumer group lost (offset out of range, a gap): open until resolved.
      create table if not exists ingest.data_loss (
        id bigserial primary key,
        consumer text not null,
        topic text not null,
        partition integer not null,
        expected_offset bigint,
        first_offset bigint,
        reason text not null,
        runs_failed integer not null default 0,
        detected_at timestamptz not null default now(),
        resolved_at timestamptz
      );
      -- Who resolved an incident and why (a stable code), and the group that lost messages.
      alter table ingest.data_loss add column if not exists group_id text;
      alter table ingest.data_loss add column if not exists resolved_by text;
      alter table ingest.data_loss add column if not exists resolution text;
      -- Where each consumer group stands per partition, to find gaps across restarts.
      create table if not exists ingest.consumer_positions (
        group_id text not null,
        topic text not null,
        partition integer not null,
        next_offset bigint not null,
        primary key (group_id, topic, partition)
      );
    `);
  });
}
