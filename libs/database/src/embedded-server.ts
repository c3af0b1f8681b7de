import { Worker } from 'node:worker_threads';
import { installProtocolQueue, ProtocolQueue } from './pglite-protocol-queue';

/**
 * PostgreSQL settings for the embedded server, on top of PGlite's own start parameters.
 *
 * PGlite keeps PostgreSQL's default `max_wal_size` (1 GB) and runs no checkpointer of its own, so
 * a demo left up to a gigabyte of WAL on disk (3.8 GB `.data` for 1.3 M events). A single-user
 * backend checkpoints by itself when the WAL passes `max_wal_size`, so a small value bounds the
 * WAL on disk. Full-page images protect pages torn by an operating-system crash; PGlite already
 * runs with `fsync` off (`-F`), which such a crash does not survive either, so they only cost WAL
 * volume and CPU here.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  max_wal_size: '96MB',
  min_wal_size: '32MB',
  full_page_writes: 'off',
};

/** A running embedded server: where it listens, and how to stop it. */
export interface EmbeddedServer {
  /** `host:port` of the pglite-socket server. */
  address: string;
  stop(): Promise<void>;
}

/**
 * Where the embedded server runs. `thread` (default): PGlite and its socket server on a worker
 * thread, so the database's work (WASM, single-threaded) runs on its own core beside the
 * process's JavaScript (parsing, validation, pseudonymisation, projection) instead of taking
 * turns with it on one event loop. `inline`: on the calling thread (`LINKAGE_EMBEDDED_THREAD=off`),
 * kept to compare against and as a fallback.
 */
export function embeddedServerMode(env: NodeJS.ProcessEnv = process.env): 'thread' | 'inline' {
  return env.LINKAGE_EMBEDDED_THREAD === 'off' ? 'inline' : 'thread';
}

function startParams(defaults: readonly string[]): string[] {
  return [
    ...defaults,
    ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
}

/** Starts PGlite on `dir` and a pglite-socket server for it on 127.0.0.1 (any free port). */
export async function startEmbeddedServer(
  dir: string,
  mode = embeddedServerMode(),
): Promise<EmbeddedServer> {
  return mode === 'thread' ? startOnThread(dir) : startInline(dir);
}

async function startInline(dir: string): Promise<EmbeddedServer> {
  // Loaded lazily: only the embedded default needs the WASM build of PostgreSQL.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dir, { startParams: startParams(PGlite.defaultStartParams) });
  const server = new PGLiteSocketServer({
    db,
    port: 0,
    host: '127.0.0.1',
    maxConnections: 8, // other linkage processes connect to this one
  });
  installProtocolQueue(server, db);
  await server.start();
  return {
    address: server.getServerConn(),
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

// The worker's code, plain CommonJS (it runs as is, also under the test runner): the same steps
// as startInline, answering 'started' with the address, and 'stopped' after a 'stop' request.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ProtocolQueue = ${ProtocolQueue.toString()};
const { PGlite } = require(workerData.pglite);
const { PGLiteSocketServer } = require(workerData.pgliteSocket);
(async () => {
  const db = await PGlite.create(workerData.dir, {
    startParams: [...PGlite.defaultStartParams, ...workerData.extraStartParams],
  });
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 8 });
  // See ProtocolQueue: keeps each connection's extended-protocol exchange whole.
  if (!server.queryQueue) throw new Error('pglite-socket no longer has a queryQueue; review ProtocolQueue');
  server.queryQueue = new ProtocolQueue(db);
  await server.start();
  parentPort.on('message', async (message) => {
    if (message !== 'stop') return;
    try {
      await server.stop();
      await db.close();
      parentPort.postMessage({ type: 'stopped' });
    } catch (error) {
      parentPort.postMessage({ type: 'failed', message: String((error && error.stack) || error) });
    }
  });
  parentPort.postMessage({ type: 'started', address: server.getServerConn() });
})().catch((error) => {
  parentPort.postMessage({ type: 'failed', message: String((error && error.stack) || error) });
});
`;

type WorkerMessage =
  { type: 'started'; address: string } | { type: 'stopped' } | { type: 'failed'; message: string };

async function startOnThread(dir: string): Promise<EmbeddedServer> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      dir,
      // Resolved here, so the worker finds the same packages wherever the process was started.
      pglite: require.resolve('@electric-sql/pglite'),
      pgliteSocket: require.resolve('@electric-sql/pglite-socket'),
      extraStartParams: startParams([]),
    },
  });
  const next = (expected: WorkerMessage['type']) =>
    new Promise<WorkerMessage>((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (message.type === expected) resolve(message);
        else
          reject(
            new Error(
              `embedded database: ${message.type === 'failed' ? message.message : message.type}`,
            ),
          );
      };
      const onError = (error: Error) => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        reject(error);
      };
      const onExit = (code: number) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        reject(new Error(`embedded database: its thread exited (code ${code})`));
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
  let started: WorkerMessage;
  try {
    started = await next('started');
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    const stopped = next('stopped');
    worker.postMessage('stop');
    try {
      await stopped;
    } finally {
      await worker.terminate();
    }
  };
  return {
    address: (started as { address: string }).address,
    stop: () => (stopping ??= stop()), // a second stop waits for the first
  };
}

/**
 * After a bulk load into the embedded database: `ANALYZE`, because PGlite runs no autovacuum and
 * its tables otherwise have no statistics at all (every plan is made on default guesses), then
 * `CHECKPOINT`, because a single-user backend does not checkpoint on WAL volume by itself: the WAL
 * grows until a checkpoint, which recycles it down to `max_wal_size`. A no-op on a real server,
 * whose autovacuum and checkpointer do both.
 *
 * The `ANALYZE` leaves out `json`/`jsonb` columns: no query here filters on them by a column
 * statistic, and sampling them (the events' documents) was about 40% of its time.
 */
export async function settleAfterBulkLoad(db: {
  embedded: boolean;
  sql: { unsafe(query: string): PromiseLike<readonly unknown[]> };
}): Promise<void> {
  if (!db.embedded) return;
  const tables = (await db.sql.unsafe(`
    select format('%I.%I (%s)', c.table_schema, c.table_name,
                  string_agg(format('%I', c.column_name), ', ' order by c.ordinal_position)) as target
    from information_schema.columns c
    join information_schema.tables t using (table_schema, table_name)
    where t.table_type = 'BASE TABLE'
      and c.table_schema not in ('pg_catalog', 'information_schema')
      and c.data_type not in ('json', 'jsonb')
    group by c.table_schema, c.table_name
    order by 1`)) as { target: string }[];
  if (tables.length > 0) await db.sql.unsafe(`analyze ${tables.map((t) => t.target).join(', ')}`);
  await db.sql.unsafe('checkpoint');
}
