import type { Logger } from '@linkage/common';
import type { Sql } from '@linkage/database';
import { START, type EventStore, type Position, type ReadVisibility } from '@linkage/event-store';
import type { CostLookup } from '@linkage/domain';
import { costTable } from '@linkage/reference';
import { gauge, counter } from '@linkage/observability';
import {
  applyBatch,
  PROJECTION_NAME,
  totalMonthlyServiceUse,
  type ApplyOptions,
} from './apply-batch';
import {
  dropDeferrableIndexes,
  ensureReadModel,
  READ_MODEL,
} from '../read-model/read-model.schema';

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
  /**
   * How long `catchUp` waits for events committed before it started to become visible
   * (default 60 s); an open transaction can hold them back (see `ReadVisibility`).
   */
  visibilityTimeoutMs?: number;
  /**
   * Read models filled from empty (the demo's projection, a rebuild): when the checkpoint is at
   * the start, the look-up indexes the projector never reads (`DEFERRABLE_INDEXES`) are built
   * once at the end instead of row by row. No effect on read models already projected.
   */
  bulkLoad?: boolean;
}

/** What a `catchUp` did, and why it stopped short when it did. */
export interface CatchUpResult {
  applied: number;
  position: Position;
  /** False when events committed before the call were still held back at the deadline. */
  complete: boolean;
  /** Why it stopped short (only when not complete). */
  stoppedBecause?: 'held_back_by_open_transaction';
  /** Events held back, and how long the transaction holding them has been open (when not complete). */
  heldBackEvents?: number;
  horizonAgeSeconds?: number;
}

const lagEvents = gauge('linkage_projection_lag_events', 'Events in the store not yet projected', [
  'schema',
]);
const lagSeconds = gauge('linkage_projection_lag_seconds', 'Age of the oldest unprojected event', [
  'schema',
]);
const horizonAge = gauge(
  'linkage_event_store_horizon_age_seconds',
  'How long the oldest open transaction that bounds what subscribers see has been open',
);
const heldBack = gauge(
  'linkage_event_store_held_back_events',
  'Committed events held back from subscribers by an older open transaction',
);
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
export async function catchUp(options: ProjectorOptions): Promise<CatchUpResult> {
  const schema = options.schema ?? READ_MODEL;
  if (!options.bulkLoad) return catchUpInto(options, schema);
  await ensureReadModel(options.sql, schema, { deferrableIndexes: false });
  if ((await readCheckpoint(options.sql, schema)) !== START) return catchUpInto(options, schema);
  await dropDeferrableIndexes(options.sql, schema);
  // Marked before the first batch commits: a run killed half-way leaves the mark, and the next
  // catch-up recounts the totals before it projects anything (settleMonthlyTotals).
  await markMonthlyTotalsPending(options.sql, schema);
  try {
    return await catchUpInto(options, schema, {
      deferrableIndexes: false,
      deferMonthlyTotals: true,
    });
  } finally {
    // Also after a failure: totals and indexes then match whatever was projected.
    await settleMonthlyTotals(options.sql, schema);
    await ensureReadModel(options.sql, schema);
  }
}

/** `meta` key present while `service_use_monthly` lags `activity` (a bulk load under way). */
const MONTHLY_TOTALS_PENDING = 'service_use_monthly_pending';

async function markMonthlyTotalsPending(sql: Sql, schema: string): Promise<void> {
  await sql`
    insert into ${sql(schema)}.meta (key, value) values (${MONTHLY_TOTALS_PENDING}, 'true'::jsonb)
    on conflict (key) do nothing`;
}

/** Recounts the monthly totals when a bulk load left them pending (see catchUp). */
async function settleMonthlyTotals(sql: Sql, schema: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`linkage:projector:${schema}`}))`;
    const pending = await tx`
      delete from ${tx(schema)}.meta where key = ${MONTHLY_TOTALS_PENDING} returning key`;
    if (pending.length > 0) await totalMonthlyServiceUse(tx, schema);
  });
}

async function catchUpInto(
  options: ProjectorOptions,
  schema: string,
  bulk: { deferrableIndexes?: boolean } & ApplyOptions = {},
): Promise<CatchUpResult> {
  await ensureReadModel(options.sql, schema, { deferrableIndexes: bulk.deferrableIndexes });
  await recordCostVersion(options.sql, schema, options.priceYear);
  if (!bulk.deferMonthlyTotals) await settleMonthlyTotals(options.sql, schema);
  const first = await catchUpPass(options, schema, bulk);
  // A store may hold back events committed behind an older open transaction (so that no late
  // commit is ever skipped); wait for everything committed before this call, then project it.
  const visible = await options.store.awaitVisible(options.visibilityTimeoutMs ?? 60_000);
  const second = await catchUpPass(options, schema, bulk);
  const result = { applied: first.applied + second.applied, position: second.position };
  if (visible) return { ...result, complete: true };
  const held = await options.store.visibility();
  options.logger?.warn(
    { schema, heldBackEvents: held.heldBackEvents, horizonAgeSeconds: held.horizonAgeSeconds },
    'catch-up stopped short: an open transaction holds events back from readers',
  );
  return {
    ...result,
    complete: false,
    stoppedBecause: 'held_back_by_open_transaction',
    heldBackEvents: held.heldBackEvents,
    horizonAgeSeconds: held.horizonAgeSeconds,
  };
}

async function catchUpPass(
  options: ProjectorOptions,
  schema: string,
  apply: ApplyOptions,
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
        await applyBatch(tx, schema, events, costs, apply);
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

export interface ProjectionLag {
  position: Position;
  /** Events not yet projected: visible ones after the checkpoint plus those held back. */
  events: number | undefined;
  /** Age of the oldest event not yet projected (visible or held back). */
  seconds: number;
  /** What an open transaction holds back from every subscriber. */
  visibility: ReadVisibility;
}

/**
 * How far the read models trail the event store, counting events an open transaction holds back
 * (so a stall does not read as 0); also sets the lag and horizon gauges.
 */
export async function projectionLag(
  sql: Sql,
  store: EventStore,
  schema: string = READ_MODEL,
): Promise<ProjectionLag> {
  const rows = await sql<{ position: string; last_recorded_at: Date | null }[]>`
    select position, last_recorded_at from ${sql(schema)}.checkpoint where projection = ${PROJECTION_NAME}`;
  const position = rows[0]?.position ?? START;
  // Three independent reads at once: a health probe under load waits for one round trip, not
  // three in a row.
  const [visibility, visible, [next]] = await Promise.all([
    store.visibility(),
    store.countAfter(position),
    store.readAll({ from: position, maxCount: 1 }),
  ]);
  const events = visible === undefined ? undefined : visible + visibility.heldBackEvents;
  const oldest: Date[] = visibility.oldestHeldBackAt ? [visibility.oldestHeldBackAt] : [];
  if (next && (visible === undefined || visible > 0)) oldest.push(next.recordedAt);
  const seconds = Math.max(0, ...oldest.map((at) => (Date.now() - at.getTime()) / 1000));
  if (events !== undefined) lagEvents.set({ schema }, events);
  lagSeconds.set({ schema }, seconds);
  horizonAge.set(visibility.horizonAgeSeconds);
  heldBack.set(visibility.heldBackEvents);
  return { position, events, seconds, visibility };
}

async function recordCostVersion(sql: Sql, schema: string, priceYear?: string): Promise<void> {
  const { version } = unitCosts(priceYear);
  await sql`
    insert into ${sql(schema)}.meta (key, value) values ('unit_cost_version', ${sql.json(version)})
    on conflict (key) do nothing`;
}
