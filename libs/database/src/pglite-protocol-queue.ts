import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

/**
 * The order in which one PGlite serves the protocol messages of several socket connections.
 *
 * pglite-socket 0.2.x queues each connection's messages one at a time and only keeps a
 * connection's turn while PGlite is inside a transaction. An extended-protocol query
 * (Parse, Bind, Describe, Execute, Sync) outside a transaction is several messages, so another
 * connection's Bind could replace the unnamed portal between this one's Bind and Execute:
 * "portal "" does not exist" under load. The protocol itself says when a backend is free again:
 * it sends ReadyForQuery with status idle. So a connection keeps its turn from its first message
 * until PGlite answers one of its messages with ReadyForQuery 'I'; the others wait.
 *
 * Self-contained (no names from outside the class body), because the embedded server's worker
 * thread runs it from its source text (see `embedded-server.ts`).
 */
export class ProtocolQueue {
  private readonly queue: QueuedMessage[] = [];
  private processing = false;
  /** The connection whose exchange is under way, until PGlite is idle again. */
  private owner: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(
    handlerId: number,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.processQueue();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].handlerId !== handlerId) continue;
      this.queue[i].reject(new Error('Handler disconnected'));
      this.queue.splice(i, 1);
    }
  }

  /** A connection went away: end whatever it left open and give the turn to the next one. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    await this.processQueue();
  }

  private next(): QueuedMessage | undefined {
    const index = this.owner === null ? 0 : this.queue.findIndex((m) => m.handlerId === this.owner);
    return index === -1 ? undefined : this.queue.splice(index, 1)[0];
  }

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        const current = item;
        this.owner = current.handlerId;
        // The last six bytes PGlite sent for this message, to spot a closing ReadyForQuery.
        let tail: Uint8Array = new Uint8Array(0);
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(current.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                tail = ProtocolQueue.lastBytes(tail, data, 6);
                current.onData(data);
              },
            }),
          );
        } catch (error) {
          current.reject(error);
          continue;
        }
        if (ProtocolQueue.endsIdle(tail) && !this.db.isInTransaction()) this.owner = null;
        current.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }

  private static lastBytes(previous: Uint8Array, data: Uint8Array, n: number): Uint8Array {
    if (data.length >= n) return data.slice(data.length - n);
    const joined = new Uint8Array(previous.length + data.length);
    joined.set(previous);
    joined.set(data, previous.length);
    return joined.slice(Math.max(0, joined.length - n));
  }

  /** Whether the bytes end in ReadyForQuery (`Z`, length 5) with status idle (`I`). */
  private static endsIdle(tail: Uint8Array): boolean {
    return (
      tail.length === 6 &&
      tail[0] === 0x5a &&
      tail[1] === 0 &&
      tail[2] === 0 &&
      tail[3] === 0 &&
      tail[4] === 5 &&
      tail[5] === 0x49
    );
  }
}

/**
 * Puts a {@link ProtocolQueue} in place of the server's own queue. Call it before `start()`:
 * every connection takes the server's queue when it is accepted. The field is internal to
 * pglite-socket 0.2.x, so this checks that it is still there rather than failing quietly.
 */
export function installProtocolQueue(server: PGLiteSocketServer, db: PGlite): void {
  const internals = server as unknown as { queryQueue?: unknown };
  if (!internals.queryQueue) {
    throw new Error('pglite-socket no longer has a queryQueue; review ProtocolQueue');
  }
  internals.queryQueue = new ProtocolQueue(db);
}
