import type { Logger } from '@linkage/common';
import type { Sql } from '@linkage/database';
import { START, type EventStore, type Position } from '@linkage/event-store';
import type { CostLookup } from '@linkage/domain';
import { costTable } from '@linkage/reference';
import { gauge, counter } from '@linkage/observability';
import { applyBatch, PROJECTION_NAME } from './apply-batch';
import { ensureReadModel, READ_MODEL } from '../read-model/read-model.schema';

/** Price year of the unit costs the read models are costed with (recorded in `meta`). */
export const DEFAULT_PRICE_YEAR = '2022/23';

export interface ProjectorOptions {
  sql: Sql;
  store: EventStore;
  /** Read-model schema (default `read_model`). */
  schema?: string;
  batchSize?: number;
  priceYear?: string;
  logger?: Logger;
  /** Called after each committed batch (progress bars). */
  onBatch?: (applied: number, position: Position) => void;
  /**
   * Called after a committed batch that held National Data Opt-out events, so the caller can
   * audit their processing (the projector itself knows nothing of governance).
   */
  onOptOutsProcessed?: (counts: { recorded: number; withdrawn: number }) => Promise<void>;
}

const lagEvents = gauge('linkage_projection_lag_events', 'Events in the store not yet projected', [
  'schema',
]);
const lagSeconds = gauge('linkage_projection_lag_seconds', 'Age of the oldest unprojected event', [
  'schema',
]);
const projected = counter('linkage_projection_events_total', 'Events applied to read models', [
  'schema',
]);

/** The unit-cost table the projector costs activity with, and its version. */
export function unitCosts(priceYear = DEFAULT_PRICE_YEAR): { version: string; costOf: CostLookup } {
  const table = costTable(priceYear);
  return { version: table.version, costOf: (type, variant) => table.costOf(type, variant) };
}

/** The position the read models in `schema` are projected up to (START when none yet). */
export async function readCheckpoint(sql: Sql, schema: string = READ_MODEL): Promise<Position> {
  const rows = await sql<{ position: string }[]>`
    select position from ${sql(schema)}.checkpoint where projection = ${PROJECTION_NAME}`;
  return rows[0]?.position ?? START;
}

/**
 * Catches the read models up with the event store and returns once everything committed so far
 * is projected (`linkage project`). Resumes from the stored checkpoint.
 */
export async function catchUp(
  options: ProjectorOptions,
): Promise<{ applied: number; position: Position }> {
  const schema = options.schema ?? READ_MODEL;
  await ensureReadModel(options.sql, schema);
  await recordCostVersion(options.sql, schema, options.priceYear);
  // The PostgreSQL store only shows events below the oldest running transaction (so that no late
  // commit is ever skipped); wait until everything committed before this call is visible.
  const horizon =
    options.store.backend === 'postgresql' ? await snapshotHorizon(options.sql) : undefined;
  const first = await catchUpPass(options, schema);
  if (horizon === undefined) return first;
  const deadline = Date.now() + 60_000;
  while (!(await isVisible(options.sql, horizon)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const second = await catchUpPass(options, schema);
  return { applied: first.applied + second.applied, position: second.position };
}

async function snapshotHorizon(sql: Sql): Promise<string> {
  const [row] = await sql<
    { xmax: string }[]
  >`select pg_snapshot_xmax(pg_current_snapshot())::text as xmax`;
  return row.xmax;
}

async function isVisible(sql: Sql, horizon: string): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`
    select event_store.visible_horizon() >= ${horizon}::xid8 as ok`;
  return row.ok;
}

async function catchUpPass(
  options: ProjectorOptions,
  schema: string,
): Promise<{ applied: number; position: Position }> {
  let applied = 0;
  let failure: unknown;
  let position = await readCheckpoint(options.sql, schema);
  const costs = unitCosts(options.priceYear).costOf;
  let caughtUp!: () => void;
  const reached = new Promise<void>((resolve) => (caughtUp = resolve));
  const subscription = options.store.subscribeToAll({
    from: position,
    batchSize: options.batchSize ?? 2000,
    onEvents: async (events) => {
      await options.sql.begin(async (tx) => {
        // One projector per schema at a time; the checkpoint must be where we left it.
        await tx`select pg_advisory_xact_lock(hashtext(${`linkage:projector:${schema}`}))`;
        const [row] = await tx<{ position: string }[]>`
          select position from ${tx(schema)}.checkpoint where projection = ${PROJECTION_NAME}`;
        if ((row?.position ?? START) !== position)
          throw new Error('checkpoint moved: another projector ran');
        await applyBatch(tx, schema, events, costs);
      });
      position = events[events.length - 1].position;
      applied += events.length;
      projected.inc({ schema }, events.length);
      options.onBatch?.(events.length, position);
      const recorded = events.filter((e) => e.type === 'OptOutRecorded').length;
      const withdrawn = events.filter((e) => e.type === 'OptOutWithdrawn').length;
      if (recorded + withdrawn > 0) await options.onOptOutsProcessed?.({ recorded, withdrawn });
    },
    onCaughtUp: () => caughtUp(),
    onError: (error) => {
      failure = error;
      caughtUp();
    },
  });
  await Promise.race([reached, subscription.done]);
  await subscription.stop();
  if (failure) throw failure;
  options.logger?.info({ schema, applied }, 'read models caught up');
  return { applied, position };
}

export interface RunningProjector {
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/**
 * Keeps the read models up to date until stopped (a long-running projector), publishing the
 * projection lag as gauges.
 */
export function startProjector(
  options: ProjectorOptions & { pollIntervalMs?: number },
): RunningProjector {
  const schema = options.schema ?? READ_MODEL;
  let stopped = false;
  let wake: (() => void) | undefined;
  const done = (async () => {
    while (!stopped) {
      try {
        await catchUp(options);
        const lag = await projectionLag(options.sql, options.store, schema);
        options.logger?.debug({ lagEvents: lag.events }, 'projection lag');
      } catch (error) {
        options.logger?.error(
          { err: { message: (error as Error).message } },
          'projector batch failed',
        );
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, options.pollIntervalMs ?? 500);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  })();
  return {
    done,
    stop: async () => {
      stopped = true;
      wake?.();
      await done;
    },
  };
}

/** How far the read models trail the event store: events and seconds; also sets the gauges. */
export async function projectionLag(
  sql: Sql,
  store: EventStore,
  schema: string = READ_MODEL,
): Promise<{ position: Position; events: number | undefined; seconds: number }> {
  const rows = await sql<{ position: string; last_recorded_at: Date | null }[]>`
    select position, last_recorded_at from ${sql(schema)}.checkpoint where projection = ${PROJECTION_NAME}`;
  const position = rows[0]?.position ?? START;
  const events = await store.countAfter(position);
  let seconds = 0;
  if (events === undefined || events > 0) {
    const [next] = await store.readAll({ from: position, maxCount: 1 });
    if (next) seconds = Math.max(0, (Date.now() - next.recordedAt.getTime()) / 1000);
  }
  if (events !== undefined) lagEvents.set({ schema }, events);
  lagSeconds.set({ schema }, seconds);
  return { position, events, seconds };
}

async function recordCostVersion(sql: Sql, schema: string, priceYear?: string): Promise<void> {
  const { version } = unitCosts(priceYear);
  await sql`
    insert into ${sql(schema)}.meta (key, value) values ('unit_cost_version', ${sql.json(version)})
    on conflict (key) do nothing`;
}
