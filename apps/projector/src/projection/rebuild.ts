import type { Position } from '@linkage/event-store';
import { runMatching, type MatchingSummary } from '../matching/run-matching';
import { ensureReadModel, READ_MODEL, READ_MODEL_NEXT } from '../read-model/read-model.schema';
import { catchUp, type ProjectorOptions } from './projector';

/**
 * Rebuilds every read model from the first event into fresh tables (`read_model_next`), matches
 * there, then swaps the schemas in one transaction (rename, rename) so readers see either the old
 * or the new read models, never a half-built one; the old schema is dropped afterwards. Finally
 * catches up whatever arrived during the rebuild.
 */
export async function rebuildReadModels(
  options: Omit<ProjectorOptions, 'schema'>,
): Promise<{ applied: number; position: Position; matching: MatchingSummary }> {
  const { sql } = options;
  await sql`drop schema if exists ${sql(READ_MODEL_NEXT)} cascade`;
  await ensureReadModel(sql, READ_MODEL_NEXT);
  const { applied } = await catchUp({ ...options, schema: READ_MODEL_NEXT, bulkLoad: true });
  // Matched before the swap so that readers never see read models without a matching run.
  let matching = await runMatching(sql, READ_MODEL_NEXT);
  const old = `${READ_MODEL}_old`;
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`linkage:projector:${READ_MODEL}`}))`;
    await tx`drop schema if exists ${tx(old)} cascade`;
    const [live] = await tx<{ present: boolean }[]>`
      select exists (select 1 from pg_namespace where nspname = ${READ_MODEL}) as present`;
    if (live.present) await tx`alter schema ${tx(READ_MODEL)} rename to ${tx(old)}`;
    await tx`alter schema ${tx(READ_MODEL_NEXT)} rename to ${tx(READ_MODEL)}`;
  });
  await sql`drop schema if exists ${sql(old)} cascade`;
  const after = await catchUp({ ...options, schema: READ_MODEL });
  if (after.applied > 0) matching = await runMatching(sql, READ_MODEL);
  return { applied: applied + after.applied, position: after.position, matching };
}
