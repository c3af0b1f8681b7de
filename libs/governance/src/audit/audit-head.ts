import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { dataDir } from '@linkage/common';
import { canonicalJson } from './audit-entry';

/**
 * The signed chain head, kept in a file outside the database: with it, cutting entries off the
 * end of the trail (which leaves a perfectly valid shorter chain) is still detected.
 */
export interface SignedHead {
  sequence: number;
  hash: string;
  signedAt: string;
  /** HMAC-SHA256 (hex) over sequence, hash and signedAt, keyed from the JWT secret. */
  signature: string;
}

/** `LINKAGE_AUDIT_HEAD_FILE`, default `<data dir>/audit/head.json`. */
export function defaultHeadFile(): string {
  return process.env.LINKAGE_AUDIT_HEAD_FILE ?? path.join(dataDir(), 'audit', 'head.json');
}

/** A key of its own for head signatures, derived from the secret, so tokens and heads never share one. */
function headKey(secret: Buffer): Buffer {
  return createHmac('sha256', secret).update('linkage audit head v1').digest();
}

function signatureOf(head: Omit<SignedHead, 'signature'>, secret: Buffer): string {
  const material = canonicalJson({
    sequence: head.sequence,
    hash: head.hash,
    signedAt: head.signedAt,
  });
  return createHmac('sha256', headKey(secret)).update(material).digest('hex');
}

export function signHead(
  head: { sequence: number; hash: string },
  secret: Buffer,
  now: Date,
): SignedHead {
  const unsigned = { sequence: head.sequence, hash: head.hash, signedAt: now.toISOString() };
  return { ...unsigned, signature: signatureOf(unsigned, secret) };
}

export function headSignatureValid(head: SignedHead, secret: Buffer): boolean {
  const expected = Buffer.from(signatureOf(head, secret), 'hex');
  const actual = Buffer.from(String(head.signature ?? ''), 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The head file's content; `undefined` when there is none, `'unreadable'` when it is not a head. */
export function readHeadFile(file: string): SignedHead | 'unreadable' | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const head = JSON.parse(fs.readFileSync(file, 'utf8')) as SignedHead;
    if (!Number.isInteger(head.sequence) || typeof head.hash !== 'string') return 'unreadable';
    return head;
  } catch {
    return 'unreadable';
  }
}

/** Writes the head atomically (temporary file, then rename), mode 0600. */
export function writeHeadFile(file: string, head: SignedHead): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(head, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
