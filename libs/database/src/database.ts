import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import postgres from 'postgres';
import { dataDir } from '@linkage/common';
import { startEmbeddedServer } from './embedded-server';

export type Sql = postgres.Sql<Record<string, never>>;

/** An open connection pool, to a real server (`DATABASE_URL`) or to the embedded default. */
export interface Database {
  readonly sql: Sql;
  readonly url: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL; without it (and without `DATABASE_URL`) the embedded default is used. */
  url?: string;
  /** Embedded data folder; default `<data dir>/pg`. */
  embeddedDir?: string;
  /** Pool size (default 10). */
  max?: number;
  onnotice?: (notice: unknown) => void;
}

interface EmbeddedServerInfo {
  pid: number;
  url: string;
}

/**
 * Opens the database the service runs on. With a URL, a postgres.js pool to it. Without one,
 * embedded PostgreSQL (PGlite, data under ./.data/pg) served over the wire protocol by
 * pglite-socket, so postgres.js works exactly as against a server. PGlite runs one transaction
 * at a time; the socket server multiplexes the pool's connections onto it.
 *
 * A data folder can be opened by one process only, so the process that opens it publishes its
 * address in `server.json`; another `linkage` process (a CLI query while `linkage demo` serves)
 * connects to that one instead of opening the folder a second time.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const url = options.url ?? process.env.DATABASE_URL;
  const max = options.max ?? 10;
  if (url) {
    const sql = connect(url, max, options.onnotice, SERVER_SETTINGS);
    return { sql, url, embedded: false, close: () => sql.end({ timeout: 5 }) };
  }
  // PGlite runs one exchange at a time, so one connection per process loses nothing. Other
  // processes (a CLI verb while the demo serves) still connect at the same time; the server's
  // ProtocolQueue keeps their extended-protocol exchanges apart.
  const embeddedMax = 1;
  const dir = options.embeddedDir ?? path.join(dataDir(), 'pg');
  const running = readRunningServer(dir);
  if (running) {
    const sql = connect(running.url, embeddedMax, options.onnotice);
    try {
      await sql`select 1`;
      return { sql, url: running.url, embedded: true, close: () => sql.end({ timeout: 5 }) };
    } catch {
      await sql.end({ timeout: 1 }).catch(() => undefined);
    }
  }
  return startEmbedded(dir, embeddedMax, options.onnotice);
}

/**
 * Session settings on a PostgreSQL server. JIT off: the planner prices a comparison with a value
 * it cannot see (the event store's read horizon, a parameter) at a third of the table, so as
 * the store grows such a query passes `jit_above_cost` and is compiled on every run. The
 * projection-lag reading behind `/health` read no rows in 2 ms and then spent 30-40 ms compiling
 * at 1.3 M events. Our statements are look-ups and batch writes; PGlite has no JIT.
 */
const SERVER_SETTINGS: Record<string, string> = { jit: 'off' };

function connect(
  url: string,
  max: number,
  onnotice?: (n: unknown) => void,
  settings: Record<string, string> = {},
): Sql {
  return postgres(url, {
    max,
    onnotice: onnotice ?? (() => undefined),
    types: { bigint: postgres.BigInt },
    connection: { application_name: 'linkage', ...settings },
    ...(isMultiHost(url) ? {} : { socket: noDelaySocket }),
  }) as unknown as Sql;
}

/** `postgres://a:1,b:2/db`: postgres.js fails over between hosts; its own sockets do that. */
function isMultiHost(url: string): boolean {
  return /^[^:]+:\/\/[^/?]*,/.test(url);
}

/**
 * A socket with Nagle's algorithm off (postgres.js leaves it on). postgres.js sends a COPY's
 * data and the CopyDone that ends it as two writes; with Nagle on, the 5-byte CopyDone waits
 * for the server's delayed ACK of the data, about 40 ms per COPY on Linux (the event store's
 * append copies its rows). postgres.js coalesces its other writes itself, so this adds no small
 * packets. Returned before it connects, as postgres.js's own socket is: writes queue until then,
 * and postgres.js's connect timeout and error handling apply unchanged (SSL is negotiated on it
 * by postgres.js as usual).
 */
function noDelaySocket(options: {
  host: string[];
  port: number[];
  path?: string | false;
}): net.Socket {
  const socket = new net.Socket();
  socket.setNoDelay(true);
  if (options.path) socket.connect(options.path);
  else {
    // postgres.js reads `host` back for the TLS server name when it negotiates SSL on it.
    Object.assign(socket, { host: options.host[0] });
    socket.connect(options.port[0], options.host[0]);
  }
  return socket;
}

async function startEmbedded(
  dir: string,
  max: number,
  onnotice?: (n: unknown) => void,
): Promise<Database> {
  fs.mkdirSync(dir, { recursive: true });
  const server = await startEmbeddedServer(dir);
  const address = server.address;
  const url = `postgres://postgres:postgres@${address}/postgres`;
  const infoFile = path.join(dir, 'server.json');
  fs.writeFileSync(
    infoFile,
    JSON.stringify({ pid: process.pid, url } satisfies EmbeddedServerInfo),
  );
  const sql = connect(url, max, onnotice);
  return {
    sql,
    url,
    embedded: true,
    close: async () => {
      await sql.end({ timeout: 5 });
      if (readRunningServer(dir)?.pid === process.pid) fs.rmSync(infoFile, { force: true });
      await server.stop();
    },
  };
}

function readRunningServer(dir: string): EmbeddedServerInfo | undefined {
  const infoFile = path.join(dir, 'server.json');
  if (!fs.existsSync(infoFile)) return undefined;
  try {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as EmbeddedServerInfo;
    if (info.pid === process.pid) return undefined;
    process.kill(info.pid, 0); // throws when that process is gone
    return info;
  } catch {
    return undefined;
  }
}
