import type { StreamBatch } from '@linkage/event-store';

/**
 * The peer: Emmett's PostgreSQL event store (`@event-driven-io/emmett-postgresql`, a dev
 * dependency) appending the same events. Emmett appends one stream per call
 * (`appendToStream`, one transaction each), so a call of ours (1,000 events over 250 streams)
 * becomes 250 `appendToStream` calls, run `poolSize` at a time on a pg pool of the same size
 * as ours: the most a caller could get from it with the same connections.
 */
export interface EmmettPeer {
  append(calls: readonly StreamBatch[][]): Promise<number>;
  close(): Promise<void>;
}

export async function openEmmettPeer(url: string, poolSize: number): Promise<EmmettPeer> {
  // Loaded lazily: a dev dependency, needed only when the bench runs.
  const { getPostgreSQLEventStore } = await import('@event-driven-io/emmett-postgresql');
  const pg = await import('pg');
  const pool = new pg.default.Pool({ connectionString: url, max: poolSize });
  const store = getPostgreSQLEventStore(url, {
    connectionOptions: { pool, pooled: true },
    schema: { autoMigration: 'None' },
  });
  await store.schema.migrate();
  return {
    async append(calls) {
      let appended = 0;
      for (const call of calls) {
        let next = 0;
        const worker = async () => {
          while (next < call.length) {
            const batch = call[next++];
            await store.appendToStream(
              batch.streamId,
              batch.events.map((e) => ({
                type: e.type,
                data: e.data,
                metadata: { ...(e.metadata ?? {}), eventId: e.eventId },
              })),
            );
            appended += batch.events.length;
          }
        };
        await Promise.all(Array.from({ length: Math.min(poolSize, call.length) }, worker));
      }
      return appended;
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}
