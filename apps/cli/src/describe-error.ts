/** PostgreSQL's code for a table that does not exist. */
const UNDEFINED_TABLE = '42P01';

/**
 * One line for a failed run, naming the problem and the thing. Errors of our own family carry a
 * message written for users; a few common ones from below (a missing table on a fresh data
 * directory, a missing file) are translated into what to do about them.
 */
export function describeError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; path?: unknown } | null;
  if (e?.code === UNDEFINED_TABLE) {
    const table = /relation "([^"]+)"/.exec(String(e.message))?.[1] ?? 'a table';
    return (
      `nothing has been ingested and projected in this database yet (${table} does not ` +
      'exist): run `linkage demo`, or `linkage ingest` then `linkage project`, first'
    );
  }
  if (e?.code === 'ENOENT' && typeof e.path === 'string') return `${e.path}: no such file`;
  if (error instanceof Error) return error.message;
  return String(error);
}
