import { SharedReads } from '@linkage/common';
import type { Sql } from '@linkage/database';
import type postgres from 'postgres';
import {
  EMPTY_RELEASE_LEDGER,
  evolveReleaseLedger,
  newPopulations,
  type ReleasedPopulation,
  type ReleaseLedgerEvent,
  type ReleaseLedgerState,
} from '@linkage/domain';

/** Advisory lock key for the ledger's schema changes (one at a time per database). */
const LEDGER_APPEND_LOCK_KEY = 7_301_101;
/** First key of the per-DSA advisory lock (the second is `hashtext(dsa)`) held while checking and recording. */
const LEDGER_DSA_LOCK_CLASS = 7_301_102;

/** A release for the ledger: what output gave which populations to a DSA. */
export interface LedgerRelease {
  output: string;
  via: 'query' | 'release-file';
  policyVersion: string;
  populations: readonly ReleasedPopulation[];
}

/**
 * The released-cell ledger of every DSA, event-sourced: one append-only stream of
 * `PopulationsReleased` events per DSA in `governance.release_ledger` (UPDATE and DELETE refused
 * by a trigger); the state the gate checks against is the fold of the stream
 * (`evolveReleaseLedger`). Member tags are opaque hashes made by the caller, never pseudonyms.
 */
export class ReleasedCellLedger {
  private readonly cache = new Map<string, { version: number; state: ReleaseLedgerState }>();
  private ready: Promise<void> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates the ledger table idempotently (also done on first use). */
  ensureSchema(): Promise<void> {
    this.ready ??= ensureReleaseLedgerSchema(this.sql);
    return this.ready;
  }

  /**
   * What the DSA has been given so far. Concurrent loads of one DSA share a read (never one begun
   * before they asked, so a load sees every release committed before it was called).
   */
  load(dsa: string): Promise<ReleaseLedgerState> {
    return this.loads.get(dsa);
  }

  private readonly loads = new SharedReads((dsa) => this.loadNow(dsa));

  private async loadNow(dsa: string): Promise<ReleaseLedgerState> {
    await this.ensureSchema();
    const held = await this.readSince(this.sql, dsa);
    this.remember(dsa, held);
    // The newest fold known (another request may have recorded one while this read ran).
    return this.cache.get(dsa)?.state ?? held.state;
  }

  /**
   * Records that `populations` were given to the DSA (only those it does not hold yet; nothing
   * is appended when all are known). Returns how many populations were new.
   */
  async record(dsa: string, release: LedgerRelease): Promise<number> {
    if (
      release.via === 'query' &&
      newPopulations(await this.load(dsa), release.populations).length === 0
    )
      return 0;
    const { recorded } = await this.checkAndRecord(dsa, () => ({ result: undefined, release }));
    return recorded;
  }

  /**
   * Decides a release against what the DSA holds and records it, as one step for that DSA: under
   * a transaction-scoped advisory lock keyed by the DSA, the ledger is read again inside the
   * transaction, `decide` runs on that state (the differencing check), and what it releases is
   * appended before the lock is let go. So two requests of one DSA, in this process or another
   * on the same database, never both pass the check against the state before either was
   * recorded; other DSAs take other locks and are not held up. Returns the decision and how many
   * populations were new.
   */
  async checkAndRecord<T>(
    dsa: string,
    decide: (state: ReleaseLedgerState) => { result: T; release: LedgerRelease },
  ): Promise<{ result: T; recorded: number }> {
    await this.ensureSchema();
    const outcome = await this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LEDGER_DSA_LOCK_CLASS}::int, hashtext(${dsa}))`;
      const held = await this.readSince(tx, dsa);
      const { result, release } = decide(held.state);
      const fresh = newPopulations(held.state, release.populations);
      if (fresh.length === 0 && release.via === 'query') return { result, recorded: 0, held };
      const event: ReleaseLedgerEvent = {
        type: 'PopulationsReleased',
        schemaVersion: 1,
        data: {
          dsa,
          output: release.output,
          via: release.via,
          policyVersion: release.policyVersion,
          populations: fresh,
          releasedAt: this.clock().toISOString(),
        },
      };
      const version = held.version + 1;
      await tx`
        insert into governance.release_ledger (dsa, version, type, event, recorded_at)
        values (${dsa}, ${version}, ${event.type}, ${tx.json(event as never)}, ${this.clock()})`;
      return {
        result,
        recorded: fresh.length,
        held: { version, state: evolveReleaseLedger(held.state, event) },
      };
    });
    // Only once committed: a later load starts from here instead of reading the rows again.
    this.remember(dsa, outcome.held);
    return { result: outcome.result, recorded: outcome.recorded };
  }

  /** The DSA's state: the cached fold plus every row recorded after it, read through `sql`. */
  private async readSince(
    sql: Sql | postgres.TransactionSql<Record<string, never>>,
    dsa: string,
  ): Promise<{ version: number; state: ReleaseLedgerState }> {
    const cached = this.cache.get(dsa) ?? { version: 0, state: EMPTY_RELEASE_LEDGER };
    const rows = await sql<{ version: number; event: ReleaseLedgerEvent }[]>`
      select version, event from governance.release_ledger
      where dsa = ${dsa} and version > ${cached.version} order by version`;
    let { version, state } = cached;
    for (const row of rows) {
      state = evolveReleaseLedger(state, row.event);
      version = row.version;
    }
    return { version, state };
  }

  /** Keeps the newest fold seen (a slower read finishing later never puts an older one back). */
  private remember(dsa: string, held: { version: number; state: ReleaseLedgerState }): void {
    const cached = this.cache.get(dsa);
    if (!cached || held.version > cached.version) this.cache.set(dsa, held);
  }

  /** The ledger's events for a DSA without member tags (for governance reports). */
  async history(
    dsa: string,
  ): Promise<Array<{ version: number; output: string; via: string; populations: string[] }>> {
    await this.ensureSchema();
    const rows = await this.sql<{ version: number; event: ReleaseLedgerEvent }[]>`
      select version, event from governance.release_ledger where dsa = ${dsa} order by version`;
    return rows.map((r) => ({
      version: r.version,
      output: r.event.data.output,
      via: r.event.data.via,
      populations: r.event.data.populations.map((p) => p.family),
    }));
  }
}

/** The ledger table: append only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export async function ensureReleaseLedgerSchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LEDGER_APPEND_LOCK_KEY})`;
    await tx.unsafe(`
      create schema if not exists governance;
      create table if not exists governance.release_ledger (
        dsa text not null,
        version integer not null,
        type text not null,
        event jsonb not null,
        recorded_at timestamptz not null,
        primary key (dsa, version)
      );
      create or replace function governance.refuse_release_ledger_change() returns trigger
      language plpgsql as $$
      begin
        raise exception 'governance.release_ledger is append-only: % refused', tg_op
          using errcode = 'insufficient_privilege';
      end $$;
      drop trigger if exists release_ledger_append_only on governance.release_ledger;
      create trigger release_ledger_append_only
        before update or delete on governance.release_ledger
        for each row execute function governance.refuse_release_ledger_change();
      drop trigger if exists release_ledger_no_truncate on governance.release_ledger;
      create trigger release_ledger_no_truncate
        before truncate on governance.release_ledger
        for each statement execute function governance.refuse_release_ledger_change();
    `);
  });
}
