import { ValidationError } from '@linkage/common';
import { START, type Position } from '../event-store.port';

/** Where an event stands in the PostgreSQL global order: its transaction, then its sequence. */
export interface PostgresqlPosition {
  transactionId: bigint;
  globalPosition: bigint;
}

const DIGITS = 20; // enough for any xid8 or bigint, so that positions compare as plain strings

/** Encodes `(transaction id, global position)` as a string that sorts like the tuple. */
export function encodePosition(
  transactionId: bigint | string,
  globalPosition: bigint | string,
): Position {
  return `${String(transactionId).padStart(DIGITS, '0')}:${String(globalPosition).padStart(DIGITS, '0')}`;
}

/** Decodes a position from `encodePosition`; START decodes to (0, 0), before every event. */
export function decodePosition(position: Position): PostgresqlPosition {
  if (position === START) return { transactionId: 0n, globalPosition: 0n };
  const match = /^(\d{1,20}):(\d{1,20})$/.exec(position);
  if (!match) {
    throw new ValidationError({ field: '/position', reason: 'invalid_position' });
  }
  return { transactionId: BigInt(match[1]), globalPosition: BigInt(match[2]) };
}
