import type postgres from 'postgres';

type Tx = postgres.TransactionSql<Record<string, never>>;

/** Advisory lock namespace (first key) of the link-key and blocking-key buckets. */
const LINK_KEY_LOCK_SPACE = 7_345_002;
const LINK_KEY_LOCK_BUCKETS = 256;

/**
 * Serialises transactions that share a link key or blocking key (hashed into buckets, taken in
 * bucket order before any stream lock), so a decision made by one is seen by the other: without
 * it, a walk-in decided concurrently with the record that would link it could wait forever.
 * Used by the event writer and by clerical review (the two places that write link decisions).
 */
export async function lockLinkKeys(tx: Tx, linkKeys: string[]): Promise<void> {
  if (linkKeys.length === 0) return;
  await tx`
    select pg_advisory_xact_lock(${LINK_KEY_LOCK_SPACE}::int, b)
    from (
      select distinct (hashtext(k) & ${LINK_KEY_LOCK_BUCKETS - 1}::int) as b
      from unnest(${linkKeys}::text[]) as k
      order by b
    ) buckets`;
}
