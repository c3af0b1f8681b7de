import type { Sql } from '@linkage/database';

/** The segmentation schema: runs (the run log) and current members (a projection of the membership streams). */
export const SEGMENTATION_SCHEMA = 'segmentation';

const SCHEMA_SQL = `
create schema if not exists segmentation;
create table if not exists segmentation.run (
  run_id text primary key,
  ruleset_id text not null,
  ruleset_version text not null,
  as_of date not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  persons int not null,
  assigned int not null,
  removed int not null,
  sizes jsonb not null,
  stream_version int not null,
  read_model_position text not null,
  actor text not null,
  scheduled boolean not null default false
);
create index if not exists run_ruleset on segmentation.run (ruleset_id, finished_at);
create table if not exists segmentation.member (
  ruleset_id text not null,
  segment text not null,
  person_id text not null,
  assigned_run text not null,
  criteria jsonb not null,
  primary key (segment, person_id)
);
create index if not exists member_ruleset on segmentation.member (ruleset_id);
-- Every membership change in stream order (a projection of the membership streams), so that the
-- members after any run (stream version <= run.stream_version) can be rebuilt for the trend.
create table if not exists segmentation.member_change (
  ruleset_id text not null,
  version int not null,
  segment text not null,
  person_id text not null,
  assigned boolean not null,
  primary key (ruleset_id, version)
);
create index if not exists member_person on segmentation.member (person_id);
`;

/** Creates the segmentation tables if they are missing (one creator at a time). */
export async function ensureSegmentationSchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('linkage:segmentation-schema'))`;
    await tx.unsafe(SCHEMA_SQL);
  });
}
