import { openDatabase, type Database, type Sql } from '@linkage/database';
import type { EventStore } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
import { PostgresqlEventStore, type AppendStrategy } from './postgresql/postgresql-event-store';

export * from './event-store.port';
export { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
export { PostgresqlEventStore, type AppendStrategy } from './postgresql/postgresql-event-store';
export { decodePosition, encodePosition } from './postgresql/postgresql-position';
export { pollingSubscription } from './polling-subscription';

/**
 * The store as one that can append inside a caller's transaction on `sql` (the PostgreSQL store
 * writing through that very pool), so a caller's bookkeeping commits with the events; undefined
 * for any other store. Callers ask this instead of testing the adapter's class.
 */
export function transactionalStore(store: EventStore, sql: Sql): PostgresqlEventStore | undefined {
  return store instanceof PostgresqlEventStore && store.usesConnection(sql) ? store : undefined;
}

/** Whether a failed append transaction should be run again (deadlock, serialization, id race). */
export function isRetryableAppendError(error: unknown): boolean {
  return PostgresqlEventStore.isRetryable(error);
}

export interface OpenEventStoreOptions {
  /** The database for the PostgreSQL adapter; without it one is opened (and closed with the store). */
  db?: Database;
  /** An `esdb://` URL; default `EVENTSTORE_URL`. When set, EventStoreDB is used. */
  eventStoreUrl?: string;
}

/**
 * Opens the configured event store, initialised: EventStoreDB when an URL is given (option or
 * `EVENTSTORE_URL`), otherwise PostgreSQL on `db` or on `openDatabase()` (`DATABASE_URL` or the
 * embedded default). A store on a database it opened itself closes that database on `close()`.
 */
export async function openEventStore(options: OpenEventStoreOptions = {}): Promise<EventStore> {
  const url = options.eventStoreUrl ?? process.env.EVENTSTORE_URL;
  const store: EventStore = url
    ? EventStoreDbEventStore.connect(url)
    : options.db
      ? new PostgresqlEventStore(options.db.sql, { appendStrategy: appendStrategyFor(options.db) })
      : await openOwnDatabase();
  await store.init();
  return store;
}

async function openOwnDatabase(): Promise<EventStore> {
  // Embedded PGlite runs one exchange at a time, so a bigger pool would only queue.
  const embedded = !process.env.DATABASE_URL;
  const db = await openDatabase(embedded ? { max: 1 } : {});
  return new PostgresqlEventStore(db.sql, {
    close: () => db.close(),
    appendStrategy: appendStrategyFor(db),
  });
}

/** COPY on a PostgreSQL server; one call on embedded PGlite (no COPY FROM STDIN over its socket). */
function appendStrategyFor(db: { embedded: boolean }): AppendStrategy {
  return db.embedded ? 'one-call' : 'copy';
}
