import { ConfigurationError } from '@linkage/common';
import type { Sql } from '@linkage/database';
import { keyFingerprint, type PseudonymisationKey } from '@linkage/pseudonymisation';

/** One pseudonymisation key the stored data knows: its id, fingerprint and whether in use. */
export interface RegisteredKey {
  keyId: string;
  fingerprint: string;
  status: 'active' | 'retired';
  registeredAt: Date;
  retiredAt: Date | null;
}

const ROTATE_HINT = 'to change keys, use `linkage key rotate` (docs/OPERATIONS.md)';

/** `ingest.pseudonymisation_keys`: the keys the stored pseudonyms were made with (never a key). */
export async function ensureKeyRegistry(sql: Sql): Promise<void> {
  await sql`create schema if not exists ingest`;
  await sql`
    create table if not exists ingest.pseudonymisation_keys (
      key_id text primary key,
      fingerprint text not null unique,
      status text not null check (status in ('active', 'retired')),
      registered_at timestamptz not null default now(),
      retired_at timestamptz
    )`;
  // At most one active key: the one new pseudonyms are made with.
  await sql`
    create unique index if not exists pseudonymisation_keys_one_active
      on ingest.pseudonymisation_keys ((true)) where status = 'active'`;
}

export async function registeredKeys(sql: Sql): Promise<RegisteredKey[]> {
  await ensureKeyRegistry(sql);
  return sql<RegisteredKey[]>`
    select key_id as "keyId", fingerprint, status, registered_at as "registeredAt",
           retired_at as "retiredAt"
    from ingest.pseudonymisation_keys order by registered_at, key_id`;
}

/**
 * Checked when a process that pseudonymises starts: the configured key must be the active key
 * the stored data was made with (registered on first start). Refuses with a ConfigurationError
 * that says why when it is a different key (every person would be split in two), a retired one,
 * or the right key under another id (`PSEUDONYMISATION_KEY_ID` cannot relabel a key).
 */
export async function checkPseudonymisationKey(sql: Sql, key: PseudonymisationKey): Promise<void> {
  const fingerprint = keyFingerprint(key.key);
  await ensureKeyRegistry(sql);
  // The first start registers its key; a concurrent first start either wins or is checked below.
  await sql`
    insert into ingest.pseudonymisation_keys (key_id, fingerprint, status)
    select ${key.keyId}, ${fingerprint}, 'active'
    where not exists (select 1 from ingest.pseudonymisation_keys)
    on conflict do nothing`;
  const keys = await registeredKeys(sql);
  const same = keys.find((k) => k.fingerprint === fingerprint);
  const active = keys.find((k) => k.status === 'active');
  if (same?.status === 'active' && same.keyId === key.keyId) return;
  if (same && same.keyId !== key.keyId) {
    throw new ConfigurationError(
      `the configured pseudonymisation key is registered as key id '${same.keyId}', not ` +
        `'${key.keyId}': PSEUDONYMISATION_KEY_ID cannot relabel a key. Unset it or set it to ` +
        `'${same.keyId}'`,
      'pseudonymisation_key_relabelled',
    );
  }
  if (same?.status === 'retired') {
    throw new ConfigurationError(
      `the configured pseudonymisation key '${same.keyId}' was retired by a rotation on ` +
        `${same.retiredAt?.toISOString() ?? 'an earlier date'}; configure the active key ` +
        `'${active?.keyId ?? '?'}' (and this one as PSEUDONYMISATION_PREVIOUS_KEY only to rotate)`,
      'pseudonymisation_key_retired',
    );
  }
  if (active && active.keyId === key.keyId) {
    throw new ConfigurationError(
      `key id '${key.keyId}' is registered with a different pseudonymisation key: the configured ` +
        `key does not match the stored data's, so every person would be split in two. Configure ` +
        `the original key again; ${ROTATE_HINT}`,
      'pseudonymisation_key_id_reused',
    );
  }
  throw new ConfigurationError(
    `the configured pseudonymisation key (id '${key.keyId}') is not the key the stored data was ` +
      `pseudonymised with (id '${active?.keyId ?? '?'}'): every person would be split in two. ` +
      `Configure key '${active?.keyId ?? '?'}' again; ${ROTATE_HINT}`,
    'pseudonymisation_key_changed',
  );
}

/**
 * Records a rotation: `next` becomes the active key, `previous` (the active one) is retired.
 * In one transaction, so exactly one key is active throughout.
 */
export async function recordKeyRotation(
  sql: Sql,
  previous: PseudonymisationKey,
  next: PseudonymisationKey,
): Promise<void> {
  await ensureKeyRegistry(sql);
  await sql.begin(async (tx) => {
    await tx`
      update ingest.pseudonymisation_keys set status = 'retired', retired_at = now()
      where fingerprint = ${keyFingerprint(previous.key)} and status = 'active'`;
    await tx`
      insert into ingest.pseudonymisation_keys (key_id, fingerprint, status)
      values (${next.keyId}, ${keyFingerprint(next.key)}, 'active')`;
  });
}
