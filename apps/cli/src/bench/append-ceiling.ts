import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Sql } from '@linkage/database';
import type { StreamBatch } from '@linkage/event-store';

/**
 * The ceiling for an append: PostgreSQL's COPY of the same rows (same columns, same JSON, the
 * stream versions numbered in the client) into a table with the same keys as
 * `event_store.events` (bigserial primary key, unique event id, unique stream + version, the
 * global-order index), one COPY per call and one transaction each, as `appendMany` commits.
 * No stream table, no duplicate check, no locks: what PostgreSQL does for the bytes alone.
 */
export const CEILING_TABLE_SQL = `
create schema if not exists bench_ceiling;
drop table if exists bench_ceiling.events;
create table bench_ceiling.events (
  global_position bigserial primary key,
  transaction_id xid8 not null default pg_current_xact_id(),
  event_id uuid not null,
  stream_id text not null,
  stream_version bigint not null,
  type text not null,
  schema_version int not null,
  data jsonb not null,
  metadata jsonb not null default '{}'::jsonb,
  recorded_at timestamptz not null default now(),
  constraint events_event_id_key unique (event_id),
  constraint events_stream_version_key unique (stream_id, stream_version)
);
create index events_transaction_order_idx on bench_ceiling.events (transaction_id, global_position);
`;

const COLUMNS = '(event_id, stream_id, stream_version, type, schema_version, data, metadata)';

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function copyField(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** The calls as COPY text, one string per call (stream versions counted from 0 per stream). */
export function copyTextOf(calls: readonly StreamBatch[][]): string[] {
  const versions = new Map<string, number>();
  return calls.map((call) => {
    const lines: string[] = [];
    for (const batch of call) {
      for (const e of batch.events) {
        const v = (versions.get(batch.streamId) ?? -1) + 1;
        versions.set(batch.streamId, v);
        lines.push(
          [
            e.eventId,
            copyField(batch.streamId),
            String(v),
            copyField(e.type),
            String(e.schemaVersion),
            copyField(JSON.stringify(e.data)),
            copyField(JSON.stringify(e.metadata ?? {})),
          ].join('\t'),
        );
      }
    }
    return lines.join('\n') + '\n';
  });
}

/** postgres.js `COPY ... FROM STDIN`, one per call, each in its own transaction. */
export async function copyWithPostgresJs(sql: Sql, texts: readonly string[]): Promise<void> {
  for (const text of texts) {
    const writable = await sql.unsafe(`copy bench_ceiling.events ${COLUMNS} from stdin`).writable();
    await pipeline(Readable.from([Buffer.from(text)]), writable);
  }
}

/**
 * libpq's COPY through one `psql` process running one `\copy` per call (psql autocommits each
 * one): the files are written before the clock starts, `psql` starts inside it.
 */
export async function preparePsqlCopy(dir: string, texts: readonly string[]): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const script: string[] = [];
  texts.forEach((text, i) => {
    const file = path.join(dir, `call-${i}.tsv`);
    fs.writeFileSync(file, text);
    script.push(`\\copy bench_ceiling.events ${COLUMNS} from '${file}'`);
  });
  const scriptFile = path.join(dir, 'copy.sql');
  fs.writeFileSync(scriptFile, script.join('\n') + '\n');
  return scriptFile;
}

/**
 * `preparePsqlCopy` for a COPY text file on disk (an export of stored events), read line by
 * line: a whole-population export passes 512 MB, longer than V8's longest string. COPY text
 * escapes newlines inside values, so a line is a row. Returns the script and the row count.
 */
export async function preparePsqlCopyOfFile(
  exported: string,
  dir: string,
  rowsPerCall: number,
): Promise<{ script: string; rows: number }> {
  fs.mkdirSync(dir, { recursive: true });
  const script: string[] = [];
  let batch: string[] = [];
  let rows = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const file = path.join(dir, `call-${script.length}.tsv`);
    fs.writeFileSync(file, batch.join('\n') + '\n');
    script.push(`\\copy bench_ceiling.events ${COLUMNS} from '${file}'`);
    batch = [];
  };
  const lines = createInterface({ input: fs.createReadStream(exported), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    batch.push(line);
    rows += 1;
    if (batch.length === rowsPerCall) flush();
  }
  flush();
  const scriptFile = path.join(dir, 'copy.sql');
  fs.writeFileSync(scriptFile, script.join('\n') + '\n');
  return { script: scriptFile, rows };
}

export function runPsql(url: string, scriptFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-X', '-f', scriptFile, url], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${stderr.slice(0, 200)}`)),
    );
  });
}
