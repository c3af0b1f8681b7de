import type postgres from 'postgres';

type Runner = postgres.Sql<Record<string, never>> | postgres.TransactionSql<Record<string, never>>;

/**
 * Runs `copy ... from stdin` with `text` (COPY text format) as its data, and resolves when the
 * server has stored the rows, or rejects with the server's error.
 *
 * postgres.js 3.4.9 never settles a COPY's writable when the server rejects the data after the
 * CopyDone (a unique violation is found when the last buffered rows are inserted, at the end):
 * https://github.com/porsager/postgres/issues/1173. The error still reaches the query's own
 * `reject`, which is only a no-op because the query resolved with the stream earlier; so that
 * `reject` is wrapped here to fail the wait as well, and the caller's transaction rolls back.
 */
export async function copyIn(runner: Runner, copySql: string, text: string): Promise<void> {
  const query = runner.unsafe(copySql) as unknown as QueryInternals;
  let failed!: (error: unknown) => void;
  const serverError = new Promise<never>((_, reject) => (failed = reject));
  const reject = query.reject;
  query.reject = (error: unknown) => {
    failed(error);
    reject(error);
  };
  const writable = (await query.writable()) as NodeJS.WritableStream;
  await Promise.race([
    serverError,
    new Promise<void>((resolve, rejectWrite) => {
      writable.on('error', rejectWrite);
      writable.on('finish', resolve);
      writable.end(text);
    }),
  ]);
}

/** The parts of a postgres.js query this module relies on (see copyIn). */
interface QueryInternals {
  reject: (error: unknown) => void;
  writable(): Promise<unknown>;
}

/** A value as a COPY text field: backslash, tab, newline and carriage return escaped. */
export function copyField(text: string): string {
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : text;
}
