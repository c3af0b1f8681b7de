import { serviceUseFactsOf, type CostLookup } from '@linkage/domain';
import type { StreamBatch } from '@linkage/event-store';
import { secondsSince } from './bench-context';

/**
 * The peer for the projection: Emmett's PostgreSQL projections
 * (`@event-driven-io/emmett-postgresql`, a dev dependency) rebuilding the service-use read
 * models (one row per event and activity, and the monthly counts and costs per person) from the
 * same events, stored in Emmett's own event store. Its projection is a raw batch SQL projection
 * (one statement per pulled batch, the cheapest kind Emmett offers) whose facts come from the
 * same domain function as ours (`serviceUseFactsOf`) and whose statement is the one our
 * projector writes those two tables with. So Emmett does a subset of our projection's work
 * (ours also keeps profiles, Life Rooms documents, conditions and link decisions).
 */
export interface EmmettProjectionPeer {
  /** Appends the events to Emmett's store (one `appendToStream` per stream, in turn; not timed). */
  load(calls: readonly StreamBatch[][]): Promise<number>;
  /** `rebuildPostgreSQLProjections` at `batchSize` until no message is left; timed. */
  rebuild(batchSize: number): Promise<EmmettRebuild>;
  close(): Promise<void>;
}

export interface EmmettRebuild {
  seconds: number;
  /** Events handed to the projection's evolve (every stored event, when the rebuild is whole). */
  handled: number;
  /** Batches Emmett handed over. */
  batches: number;
  /** Events in Emmett's store. */
  inStore: number;
  activityRows: number;
  monthlyRows: number;
}

const READ_MODEL_SQL = `
create schema if not exists emmett_read_model;
create table if not exists emmett_read_model.activity (
  event_id uuid not null,
  activity text not null,
  person_id text not null,
  occurred_on date not null,
  cost_gbp double precision not null,
  cost_source text,
  primary key (event_id, activity)
);
create table if not exists emmett_read_model.service_use_monthly (
  person_id text not null,
  month date not null,
  activity text not null,
  cost_source text not null default '',
  events int not null,
  cost_gbp double precision not null,
  primary key (person_id, month, activity, cost_source)
);`;

/** The statement our projector writes the two service-use tables with, for one batch. */
const WRITE_FACTS_SQL = `
with facts as (
  select * from jsonb_to_recordset(%L::jsonb) as f(
    event_id uuid, activity text, person_id text, occurred_on date,
    cost_gbp double precision, cost_source text)
), inserted as (
  insert into emmett_read_model.activity (
    event_id, activity, person_id, occurred_on, cost_gbp, cost_source)
  select event_id, activity, person_id, occurred_on, cost_gbp, cost_source from facts
  on conflict do nothing
  returning person_id, occurred_on, activity, cost_source, cost_gbp
)
insert into emmett_read_model.service_use_monthly (person_id, month, activity, cost_source, events, cost_gbp)
select person_id, date_trunc('month', occurred_on)::date, activity, coalesce(cost_source, ''),
       count(*), sum(cost_gbp)
from inserted group by 1, 2, 3, 4
on conflict (person_id, month, activity, cost_source) do update set
  events = emmett_read_model.service_use_monthly.events + excluded.events,
  cost_gbp = emmett_read_model.service_use_monthly.cost_gbp + excluded.cost_gbp`;

export async function openEmmettProjectionPeer(
  url: string,
  poolSize: number,
  costOf: CostLookup,
): Promise<EmmettProjectionPeer> {
  // Loaded lazily: dev dependencies, needed only when the bench runs.
  const emmett = await import('@event-driven-io/emmett-postgresql');
  const pg = await import('pg');
  const pool = new pg.default.Pool({ connectionString: url, max: poolSize });
  const store = emmett.getPostgreSQLEventStore(url, {
    connectionOptions: { pool, pooled: true },
    schema: { autoMigration: 'None' },
  });
  await store.schema.migrate();
  await pool.query(READ_MODEL_SQL);
  const types = new Set<string>();

  return {
    async load(calls) {
      // Each stream's events in their order, one append per stream, poolSize at a time.
      const byStream = new Map<string, StreamBatch['events']>();
      for (const call of calls) {
        for (const batch of call) {
          const events = byStream.get(batch.streamId) ?? [];
          events.push(...batch.events);
          byStream.set(batch.streamId, events);
          for (const e of batch.events) types.add(e.type);
        }
      }
      const streams = [...byStream];
      let next = 0;
      let appended = 0;
      const worker = async () => {
        while (next < streams.length) {
          const [streamId, events] = streams[next++];
          await store.appendToStream(
            streamId,
            events.map((e) => ({
              type: e.type,
              data: e.data,
              metadata: { ...(e.metadata ?? {}), eventId: e.eventId },
            })),
          );
          appended += events.length;
        }
      };
      // One appender at a time: Emmett 0.42's reader orders by (transaction id, global
      // position) but resumes after the last global position alone, so events appended by
      // concurrent writers (a later transaction holding a lower position) are skipped by its
      // catch-up; appended one after another, both orders agree and its rebuild sees them all.
      await worker();
      return appended;
    },
    async rebuild(batchSize) {
      let handled = 0;
      let batches = 0;
      const projection = emmett.postgreSQLRawBatchSQLProjection({
        name: 'bench_service_use',
        canHandle: [...types],
        evolve: (events) => {
          handled += events.length;
          batches += 1;
          const rows = events.flatMap((e) => {
            // At run time Emmett hands over read events, with their metadata.
            const { metadata } = e as unknown as { metadata: Record<string, unknown> };
            const eventId = String(metadata.eventId ?? metadata.messageId);
            return serviceUseFactsOf(
              { eventId, type: e.type, data: e.data as Record<string, unknown> },
              costOf,
            ).map((f) => ({
              event_id: f.eventId,
              activity: f.activity,
              person_id: f.personId,
              occurred_on: f.date,
              cost_gbp: f.costGbp,
              cost_source: f.costSource,
            }));
          });
          // A quoted literal (standard_conforming_strings: only quotes need doubling).
          const literal = `'${JSON.stringify(rows).replace(/'/g, "''")}'`;
          return rows.length ? [WRITE_FACTS_SQL.replace('%L', () => literal) as never] : [];
        },
      });
      // Emmett's reader returns only events below the server-wide snapshot xmin, and its rebuild
      // stops at the first short batch: a transaction open in ANY database of the server when
      // the rebuild starts would end it early. So wait (untimed) until every stored event is
      // below the xmin; transactions starting later have higher ids and hold nothing back.
      const deadline = Date.now() + 600_000;
      for (;;) {
        const { rows } = await pool.query<{ held: string }>(`
          select count(*) as held from emt_messages
          where transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`);
        if (Number(rows[0].held) === 0) break;
        if (Date.now() > deadline) throw new Error('Emmett events held back for 10 minutes');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const start = process.hrtime.bigint();
      const consumer = emmett.rebuildPostgreSQLProjections({
        connectionString: url,
        projections: [projection],
        pulling: { batchSize },
      });
      try {
        await consumer.start();
      } finally {
        await consumer.close();
      }
      const seconds = secondsSince(start);
      const [{ a, m, n }] = (
        await pool.query<{ a: string; m: string; n: string }>(`
          select (select count(*) from emmett_read_model.activity) as a,
                 (select count(*) from emmett_read_model.service_use_monthly) as m,
                 (select count(*) from emt_messages) as n`)
      ).rows;
      return {
        seconds,
        handled,
        batches,
        inStore: Number(n),
        activityRows: Number(a),
        monthlyRows: Number(m),
      };
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}
