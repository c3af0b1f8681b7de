import type { Sql } from '@linkage/database';

/** The live read models; a rebuild fills `READ_MODEL_NEXT` and swaps it in. */
export const READ_MODEL = 'read_model';
export const READ_MODEL_NEXT = 'read_model_next';

/**
 * Look-up indexes that the projector's own writes never read (the APIs, matching and
 * segmentation use them): a bulk load into empty read models leaves them out and builds each
 * once at the end, one sort instead of a B-tree insert per row (`catchUp({ bulkLoad: true })`).
 * A merge of two persons met during a bulk load finds its rows by a scan instead.
 */
export const DEFERRABLE_INDEXES: readonly { name: string; on: string }[] = [
  { name: 'life_rooms_person', on: 'life_rooms (person_id)' },
  { name: 'activity_person', on: 'activity (person_id, occurred_on)' },
  { name: 'condition_person', on: 'condition (person_id)' },
];

/**
 * The activity's primary key, left out by a bulk load too: its insert per row was 40% of the
 * projection's largest statement. A bulk load reads every event once (one pass, the checkpoint
 * committed with each batch) and a batch holds each fact once, so nothing can collide meanwhile;
 * adding the key at the end checks that (it fails on a duplicate).
 */
export const DEFERRABLE_KEYS: readonly { table: string; name: string; columns: string }[] = [
  { table: 'activity', name: 'activity_pkey', columns: '(event_id, activity)' },
];

function deferrableIndexesSql(schema: string): string {
  const s = `"${schema}"`;
  return [
    ...DEFERRABLE_KEYS.map(
      (k) => `do $$ begin
  if not exists (select 1 from pg_constraint
                 where conrelid = '${s}.${k.table}'::regclass and contype = 'p') then
    alter table ${s}.${k.table} add constraint ${k.name} primary key ${k.columns};
  end if;
end $$;`,
    ),
    ...DEFERRABLE_INDEXES.map((i) => `create index if not exists ${i.name} on ${s}.${i.on};`),
  ].join('\n');
}

/**
 * Read-model tables (pseudonymised only: pseudonyms, year of birth, sex, postcode sector and
 * district, LSOA, IMD decile). Created idempotently; every table lives in one schema so that a
 * rebuild can swap all of them at once by renaming schemas.
 */
export function readModelSchemaSql(
  schema: string,
  { deferrableIndexes = true }: { deferrableIndexes?: boolean } = {},
): string {
  const s = `"${schema}"`;
  return `
create schema if not exists ${s};
create table if not exists ${s}.checkpoint (
  projection text primary key,
  position text not null,
  events_applied bigint not null default 0,
  last_recorded_at timestamptz,
  updated_at timestamptz not null default now()
);
create table if not exists ${s}.meta (key text primary key, value jsonb not null);
create table if not exists ${s}.person_profile (
  person_id text primary key,
  year_of_birth int,
  sex text,
  postcode_sector text,
  postcode_district text,
  lsoa text,
  imd_decile int,
  local_authority text,
  death_date date,
  opted_out boolean not null default false,
  doc jsonb not null
);
-- A pseudonym a person was given by a later key, and the first one (see PseudonymRotated).
create table if not exists ${s}.person_alias (
  person_id text primary key,
  canonical_person_id text not null
);
create table if not exists ${s}.record_link (event_id uuid primary key, person_id text not null);
create table if not exists ${s}.life_rooms (
  subject text primary key,
  person_id text,
  index_date date,
  contacts int not null,
  visits int not null,
  course_enrolments int not null,
  sessions_attended int not null,
  referrals int not null,
  pathways_contacts int not null,
  prescriptions int not null,
  visits_by_site jsonb not null,
  prescriptions_by_need jsonb not null,
  outcomes_by_need jsonb not null,
  wellbeing_baseline double precision,
  wellbeing_follow_up double precision,
  wellbeing_change double precision,
  doc jsonb not null
);
create table if not exists ${s}.activity (
  event_id uuid not null,
  activity text not null,
  person_id text not null,
  occurred_on date not null,
  cost_gbp double precision not null,
  cost_source text,
  primary key (event_id, activity)
);
create table if not exists ${s}.service_use_monthly (
  person_id text not null,
  month date not null,
  activity text not null,
  cost_source text not null default '',
  events int not null,
  cost_gbp double precision not null,
  primary key (person_id, month, activity, cost_source)
);
create table if not exists ${s}.condition (
  event_id uuid primary key,
  person_id text not null,
  cluster text not null,
  recorded_on date not null,
  resolved_on date
);
-- A merged person's records are attributed to its survivor; origin_person_id keeps whose they
-- were, so that a split can hand them back (null: the person's own).
create table if not exists ${s}.person_merge (merged_id text primary key, survivor_id text not null);
alter table ${s}.activity add column if not exists origin_person_id text;
alter table ${s}.condition add column if not exists origin_person_id text;
create index if not exists activity_origin on ${s}.activity (origin_person_id) where origin_person_id is not null;
create index if not exists condition_origin on ${s}.condition (origin_person_id) where origin_person_id is not null;
create table if not exists ${s}.matching_run (
  id int primary key default 1 check (id = 1),
  settings jsonb not null,
  event_store_position text not null,
  data_start date,
  data_end date,
  users int not null,
  matched_users int not null,
  unmatched_users int not null,
  balance jsonb not null,
  created_at timestamptz not null default now()
);
alter table ${s}.matching_run add column if not exists data_start date;
alter table ${s}.matching_run add column if not exists relaxed_users int not null default 0;
create table if not exists ${s}.matched_pair (
  user_id text not null,
  control_id text not null,
  index_date date not null,
  rank int not null,
  primary key (user_id, control_id)
);
create or replace view ${s}.cohort as
  select person_id, index_date from ${s}.life_rooms where person_id is not null and index_date is not null;
create or replace view ${s}.opt_out as
  select person_id, opted_out, doc->'optOutChange'->>'at' as changed_at from ${s}.person_profile
  where doc->'optOutChange' is not null and doc->'optOutChange' <> 'null'::jsonb;
${deferrableIndexes ? deferrableIndexesSql(schema) : ''}
`;
}

/**
 * Creates the read-model tables in `schema` if they are missing, with every index unless
 * `deferrableIndexes` is false (a bulk load builds those at its end).
 */
export async function ensureReadModel(
  sql: Sql,
  schema: string = READ_MODEL,
  options: { deferrableIndexes?: boolean } = {},
): Promise<void> {
  // One creator at a time: concurrent "create if not exists" can still collide in the catalogue.
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`linkage:read-model:${schema}`}))`;
    await tx.unsafe(readModelSchemaSql(schema, options));
  });
}

/** Drops the deferrable indexes and keys of `schema` (a bulk load into empty read models). */
export async function dropDeferrableIndexes(sql: Sql, schema: string): Promise<void> {
  await sql.unsafe(
    [
      ...DEFERRABLE_KEYS.map(
        (k) => `alter table "${schema}".${k.table} drop constraint if exists ${k.name};`,
      ),
      ...DEFERRABLE_INDEXES.map((i) => `drop index if exists "${schema}".${i.name};`),
    ].join('\n'),
  );
}
