import type { Sql } from '@linkage/database';

/** Advisory lock keys (arbitrary constants, unique to governance). */
export const SCHEMA_LOCK_KEY = 7_301_001;
export const AUDIT_APPEND_LOCK_KEY = 7_301_002;

/**
 * Creates the `governance` schema idempotently: the DSA registry and the append-only audit
 * trail, whose triggers refuse UPDATE, DELETE and TRUNCATE. Serialised by an advisory lock so
 * that several processes starting at once do not race on the catalog.
 */
export async function ensureGovernanceSchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`;
    await tx.unsafe(`
      create schema if not exists governance;

      create table if not exists governance.dsa (
        ref text primary key,
        purposes text[] not null,
        roles text[] not null,
        valid_until date,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        revoked_at timestamptz
      );

      create table if not exists governance.audit_trail (
        sequence bigint primary key,
        at timestamptz not null,
        actor text not null,
        role text,
        purpose text,
        dsa text,
        action text not null,
        parameters jsonb not null,
        result_size integer,
        cells_suppressed integer,
        outcome text not null check (outcome in ('ok', 'denied', 'error')),
        http_status integer,
        reason text,
        request_id text,
        prev_hash text not null,
        hash text not null
      );
      create index if not exists audit_trail_at on governance.audit_trail (at);
      -- A call's intent, written before it runs and removed once its entry is written: what a
      -- crash leaves here becomes an 'interrupted' entry (AuditTrail.recordInterrupted).
      create table if not exists governance.audit_intents (
        id text primary key,
        at timestamptz not null,
        actor text not null,
        role text,
        purpose text,
        dsa text,
        action text not null,
        parameters jsonb not null,
        request_id text
      );
      create index if not exists audit_trail_actor on governance.audit_trail (actor, at);

      create or replace function governance.refuse_audit_change() returns trigger
      language plpgsql as $$
      begin
        raise exception 'governance.audit_trail is append-only: % refused', tg_op
          using errcode = 'insufficient_privilege';
      end
      $$;
      create or replace trigger audit_trail_append_only
        before update or delete on governance.audit_trail
        for each row execute function governance.refuse_audit_change();
      create or replace trigger audit_trail_no_truncate
        before truncate on governance.audit_trail
        for each statement execute function governance.refuse_audit_change();
    `);
  });
}
