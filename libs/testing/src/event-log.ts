import type { Sql } from '@linkage/database';
import type { EventStore, StoredEvent } from '@linkage/event-store';
import { eventually } from './postgres';

/** Every event in the store's global order, read page by page. */
export async function readEntireLog(store: EventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (;;) {
    const page = await store.readAll({ from: all.at(-1)?.position, maxCount: 5000 });
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/**
 * The whole global log once it shows every stored row of a PostgreSQL store: an event becomes
 * part of the global order only when no older transaction in the database is still open.
 */
export function readEntireLogWhenComplete(store: EventStore, sql: Sql): Promise<StoredEvent[]> {
  return eventually(
    async () => {
      const all = await readEntireLog(store);
      const [{ n }] = await sql<{ n: bigint }[]>`select count(*) as n from event_store.events`;
      return all.length === Number(n) ? all : undefined;
    },
    { what: 'the global order to show every stored event' },
  );
}
