import postgres from 'postgres';
import { randomBytes } from 'node:crypto';

/**
 * A fresh database on the real local PostgreSQL (from `DATABASE_URL`, set by `npm test`'s
 * set-up), dropped by `drop()`. Tests get their own database so they never see each other.
 */
export async function createFreshDatabase(
  prefix = 'linkage_t',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    throw new Error('DATABASE_URL is not set: run the tests with `npm test` (infra/test-env.sh)');
  }
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => undefined });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Polls `check` until it returns a value that is not undefined, or fails at the deadline. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A second session on `url` that takes a transaction id and stays idle in transaction until
 * `end()`: what holds every event-store subscriber of that database back.
 */
export async function idleInTransaction(url: string): Promise<{ end(): Promise<void> }> {
  const session = postgres(url, { max: 1, onnotice: () => undefined });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding!: () => void;
  const hasXid = new Promise<void>((resolve) => (holding = resolve));
  const transaction = session.begin(async (tx) => {
    await tx`select pg_current_xact_id()`;
    holding();
    await released;
  });
  await hasXid;
  return {
    end: async () => {
      release();
      await transaction;
      await session.end();
    },
  };
}
