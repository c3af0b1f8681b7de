import type { Sql } from '@linkage/database';

/**
 * What an analytics answer is computed from, before the publishing gate: the read models only.
 * The string changes whenever they can have changed: the projector moves its checkpoint (and its
 * `updated_at`) in the transaction of every batch, a rebuild swaps in a schema with a checkpoint
 * of its own, a matching run stamps `created_at`, and a new unit-cost table is recorded in `meta`.
 */
export async function readModelVersion(sql: Sql, schema: string): Promise<string> {
  const s = sql(schema);
  const [row] = await sql<{ version: string }[]>`
    select concat_ws('|',
      (select concat_ws(':', position, events_applied, updated_at)
         from ${s}.checkpoint where projection = 'read-models'),
      (select concat_ws(':', event_store_position, created_at) from ${s}.matching_run where id = 1),
      (select value::text from ${s}.meta where key = 'unit_cost_version')) as version`;
  return row?.version ?? '';
}

/**
 * Computations over the read models, done once per read-model version and shared.
 *
 * An estimate's data (matched sets, every activity day of the people in them, three bootstrap
 * runs) takes hundreds of milliseconds and is the same for every asker until the read models
 * move, so computing it per request made 50 concurrent analysts queue behind each other on one
 * event loop. Only the computation is kept: the publishing gate, the asking DSA's released-cell
 * ledger and the audit entry still run on every request, so a remembered answer never skips a
 * differencing check. Concurrent askers of the same key share one computation (single flight).
 * A version change drops every entry; a failed computation is not kept.
 */
export class ReadModelVersionCache {
  private version: string | undefined;
  /** Insertion order is use order (a hit re-inserts), so the first key is the least recently used. */
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(private readonly maxEntries = 256) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value of `key` at `version`, computing it when this version has not computed it yet. */
  get<T>(version: string, key: string, compute: () => Promise<T>): Promise<T> {
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    const known = this.entries.get(key) as Promise<T> | undefined;
    if (known) {
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    const computing = compute();
    this.entries.set(key, computing);
    computing.catch(() => {
      if (this.entries.get(key) === computing) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return computing;
  }
}
