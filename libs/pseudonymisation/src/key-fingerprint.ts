import { createHmac } from 'node:crypto';

/** What the fingerprint is a keyed hash of: fixed, so the same key always gives the same one. */
const FINGERPRINT_MESSAGE = 'linkage:pseudonymisation-key-fingerprint:v1';

/**
 * A fingerprint of a pseudonymisation key, safe to store beside the data: an HMAC of a fixed
 * message under the key (never a hash of the key itself), 32 hex characters. Two keys with the
 * same fingerprint are the same key; the fingerprint reveals nothing that would pseudonymise
 * an identifier.
 */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update(FINGERPRINT_MESSAGE).digest('hex').slice(0, 32);
}
