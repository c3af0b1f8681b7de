import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Source } from '@linkage/contracts';
import { linkageSeconds, type PseudonymisationKey } from '@linkage/pseudonymisation';
import type { EdgeOutcome } from './edge-outcome';

/** Records sent to an edge thread in one message. */
export interface EdgeChunk {
  id: number;
  source: Source;
  ingestRunId?: string;
  /** ISO time: the run's clock when the chunk was handed over (`now` and `receivedAt`). */
  now: string;
  records: { input: unknown; line?: number }[];
}

/**
 * The ingest edge (parse, validate, pseudonymise, postcode look-up) on worker threads, so that
 * file ingest's edge work runs beside the event writer's instead of taking turns with it on one
 * event loop. Each thread runs the same `ingestRecord` as the in-thread edge; chunks come back
 * in the order they were sent.
 */
export interface EdgeThreads {
  readonly threads: number;
  run(
    source: Source,
    records: EdgeChunk['records'],
    ctx: { ingestRunId?: string; now: Date },
  ): Promise<EdgeOutcome[]>;
  /** Stops the threads (started again on the next `run`). */
  close(): Promise<void>;
}

/** Threads for file ingest: `LINKAGE_EDGE_THREADS` (default 1; 0 keeps the edge in-thread). */
export function edgeThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LINKAGE_EDGE_THREADS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 16) {
    throw new Error('LINKAGE_EDGE_THREADS must be a whole number from 0 to 16');
  }
  return n;
}

// Plain CommonJS, run as is: loads edge-thread from dist/ (the CLI) or from its TypeScript source
// (the test runner, compiled on load with swc), with the same @linkage/* paths as the CLI.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
if (workerData.entry.endsWith('.ts')) {
  const swc = require(workerData.swcCore);
  const options = JSON.parse(fs.readFileSync(workerData.swcrc, 'utf8'));
  delete options.$schema;
  require.extensions['.ts'] = (module, filename) => {
    const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
      ...options, swcrc: false, sourceMaps: false, filename,
    });
    module._compile(code, filename);
  };
}
require(workerData.tsconfigPaths).register({
  baseUrl: workerData.baseUrl,
  paths: { '@linkage/contracts': ['contracts/src'], '@linkage/*': ['libs/*/src'] },
  addMatchAll: false,
});
require(workerData.entry);
`;

interface Pending {
  resolve: (outcomes: EdgeOutcome[]) => void;
  reject: (error: Error) => void;
}

interface Reply {
  id?: number;
  outcomes?: EdgeOutcome[];
  failed?: string;
  encodeSeconds?: number;
}

/** Starts `threads` edge threads lazily (on the first `run`) with this key. */
export function startEdgeThreads(key: PseudonymisationKey, threads: number): EdgeThreads {
  if (threads < 1) throw new RangeError('startEdgeThreads: at least one thread');
  const entry = path.join(__dirname, `edge-thread${path.extname(__filename)}`);
  // apps/ingest/src/edge -> the repository (sources) or dist/ (the CLI's build).
  const baseUrl = path.resolve(__dirname, '..', '..', '..', '..');
  let workers: { worker: Worker; pending: Map<number, Pending> }[] = [];
  let next = 0;
  let ids = 0;

  const start = () => {
    const swcrc = path.join(baseUrl, '.swcrc');
    workers = Array.from({ length: threads }, () => {
      const worker = new Worker(BOOTSTRAP, {
        eval: true,
        workerData: {
          entry,
          baseUrl,
          swcrc: fs.existsSync(swcrc) ? swcrc : undefined,
          swcCore: entry.endsWith('.ts') ? require.resolve('@swc/core') : undefined,
          tsconfigPaths: require.resolve('tsconfig-paths'),
          key: {
            key: key.key,
            keyId: key.keyId,
            ...(key.encodingKey ? { encodingKey: key.encodingKey } : {}),
          },
        },
      });
      const pending = new Map<number, Pending>();
      const failAll = (error: Error) => {
        for (const p of pending.values()) p.reject(error);
        pending.clear();
      };
      worker.on('message', (reply: Reply) => {
        if (reply.id === undefined) return;
        const p = pending.get(reply.id);
        if (!p) return;
        pending.delete(reply.id);
        if (pending.size === 0) worker.unref();
        if (reply.encodeSeconds) linkageSeconds.inc({ stage: 'encode' }, reply.encodeSeconds);
        if (reply.outcomes) p.resolve(reply.outcomes);
        else p.reject(new Error(`edge thread failed (${reply.failed ?? 'unknown'})`));
      });
      // Class only in the error: a worker's message could quote a value.
      worker.on('error', (error) => failAll(new Error(`edge thread failed (${error.name})`)));
      worker.on('exit', (code) => failAll(new Error(`edge thread exited (code ${code})`)));
      worker.unref();
      return { worker, pending };
    });
  };

  return {
    threads,
    run(source, records, ctx) {
      if (workers.length === 0) start();
      const target = workers[next++ % workers.length];
      const id = ids++;
      const chunk: EdgeChunk = {
        id,
        source,
        ...(ctx.ingestRunId !== undefined ? { ingestRunId: ctx.ingestRunId } : {}),
        now: ctx.now.toISOString(),
        records,
      };
      return new Promise<EdgeOutcome[]>((resolve, reject) => {
        target.pending.set(id, { resolve, reject });
        // Held open while it owes an answer, so the process waits for it.
        target.worker.ref();
        target.worker.postMessage(chunk);
      });
    },
    async close() {
      const stopping = workers;
      workers = [];
      await Promise.all(stopping.map((w) => w.worker.terminate()));
    },
  };
}
