import { SharedReads } from '@linkage/common';
import type { Sql } from '@linkage/database';
import {
  EMPTY_RELEASE_LEDGER,
  evolveReleaseLedger,
  newPopulations,
  type ReleasedPopulation,
  type ReleaseLedgerEvent,
  type ReleaseLedgerState,
} from '@linkage/domain';

/** Advisory lock key for appends to the ledger (one writer at a time per database). */
const LEDGER_APPEND_LOCK_KEY = 7_301_101;

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
    const cached = this.cache.get(dsa) ?? { version: 0, state: EMPTY_RELEASE_LEDGER };
    const rows = await this.sql<{ version: number; event: ReleaseLedgerEvent }[]>`
      select version, event from governance.release_ledger
      where dsa = ${dsa} and version > ${cached.version} order by version`;
    let { version, state } = cached;
    for (const row of rows) {
      state = evolveReleaseLedger(state, row.event);
      version = row.version;
    }
    const next = { version, state };
    this.cache.set(dsa, next);
    return state;
  }

  /**
   * Records that `populations` were given to the DSA (only those it does not hold yet; nothing
   * is appended when all are known). Returns how many populations were new.
   */
  async record(
    dsa: string,
    release: {
      output: string;
      via: 'query' | 'release-file';
      policyVersion: string;
      populations: readonly ReleasedPopulation[];
    },
  ): Promise<number> {
    const fresh = newPopulations(await this.load(dsa), release.populations);
    if (fresh.length === 0 && release.via === 'query') return 0;
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
    await this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LEDGER_APPEND_LOCK_KEY})`;
      const [{ version }] = await tx<{ version: number }[]>`
        select coalesce(max(version), 0)::int as version from governance.release_ledger
        where dsa = ${dsa}`;
      await tx`
        insert into governance.release_ledger (dsa, version, type, event, recorded_at)
        values (${dsa}, ${version + 1}, ${event.type}, ${tx.json(event as never)}, ${this.clock()})`;
    });
    return fresh.length;
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
