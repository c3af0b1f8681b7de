import type { Sql } from '@linkage/database';

/**
 * The `linkage` schema: the state of link decisions, owned by the event writer (the one place
 * that decides links; every decision is also an event in the person's stream).
 * - `person_encodings` / `person_blocks`: Bloom-filter encodings of records with an NHS number,
 *   per person and distinct encoding, and their blocking keys.
 * - `record_encodings` / `record_blocks`: the same for records without a (valid) NHS number.
 * - `record_links`: where each such record stands (linked, review, unlinked) and why.
 * - `candidate_pairs`: every compared pair's comparison vector and similarities (for EM, the
 *   quality report and clerical review).
 * - `person_merges`: NHS-numbered persons merged into a survivor (null once split), and how
 *   many merge decisions each has had.
 * - `model`: the Fellegi-Sunter parameters and thresholds in use (priors until estimated).
 * Holds no identifier: keyed Bloom filters, keyed block hashes, pseudonyms and scores.
 */
export async function ensureLinkageSchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(7345003)`;
    await tx.unsafe(`
      create schema if not exists linkage;
      create table if not exists linkage.person_encodings (
        person_id text not null,
        enc_hash text not null,
        given_name text, family_name text, date_of_birth text, postcode text, sex text,
        primary key (person_id, enc_hash)
      );
      create table if not exists linkage.person_blocks (
        block text not null,
        person_id text not null,
        enc_hash text not null,
        primary key (block, person_id, enc_hash)
      );
      create table if not exists linkage.record_encodings (
        event_id uuid primary key,
        record_type text not null,
        given_name text, family_name text, date_of_birth text, postcode text, sex text
      );
      create table if not exists linkage.record_blocks (
        block text not null,
        event_id uuid not null,
        primary key (block, event_id)
      );
      create table if not exists linkage.record_links (
        event_id uuid primary key,
        record_type text not null,
        status text not null,
        person_id text,
        weight double precision,
        method text,
        version int not null default 0,
        clerical boolean not null default false,
        updated_at timestamptz not null default now()
      );
      create index if not exists record_links_review on linkage.record_links (status) where status = 'review';
      create table if not exists linkage.candidate_pairs (
        event_id uuid not null,
        person_id text not null,
        levels smallint[] not null,
        similarities jsonb not null,
        weight double precision not null,
        primary key (event_id, person_id)
      );
      create table if not exists linkage.person_merges (
        merged_id text primary key,
        survivor_id text,
        version int not null default 0,
        updated_at timestamptz not null default now()
      );
      create table if not exists linkage.model (
        id int primary key default 1 check (id = 1),
        model jsonb not null,
        thresholds jsonb not null,
        estimated_at timestamptz not null default now()
      );
    `);
  });
}
