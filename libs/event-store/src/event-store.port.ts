/**
 * The event store port. Two adapters implement it (PostgreSQL through postgres.js, the default
 * and embedded one; EventStoreDB at scale) and one contract suite (`contract/`) runs against both.
 * Adapters hide their differences: stream versions start at 0 on both.
 */

/** An opaque, totally ordered checkpoint in the global order ("" = before the first event). */
export type Position = string;
export const START: Position = '';

export interface EventToAppend {
  /** Deterministic id (a UUID); appending the same id again is a no-op reported as duplicate. */
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface StoredEvent extends EventToAppend {
  streamId: string;
  /** 0-based version of the event within its stream. */
  streamVersion: number;
  /** Where this event stands in the global order; resume a subscription after it. */
  position: Position;
  recordedAt: Date;
}

/** `number`: the stream's current version must be exactly this (-1 = the stream is empty). */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

export interface AppendResult {
  streamId: string;
  /** Version of the stream's last event after the append (-1 when the stream is still empty). */
  nextExpectedVersion: number;
  appended: string[];
  duplicates: string[];
}

export interface BatchAppendResult {
  appended: number;
  duplicates: number;
  streams: AppendResult[];
}

export interface StreamBatch {
  streamId: string;
  events: EventToAppend[];
}

export interface SubscriptionOptions {
  /** Resume strictly after this position (START for the beginning). */
  from: Position;
  /** Called with consecutive batches in global order; the next batch waits for it to resolve. */
  onEvents: (events: StoredEvent[]) => Promise<void>;
  /** Called once the subscription has delivered everything committed so far. */
  onCaughtUp?: (position: Position) => void;
  batchSize?: number;
  /** How often to look for new events once caught up (PostgreSQL adapter), default 100 ms. */
  pollIntervalMs?: number;
  onError?: (error: unknown) => void;
}

export interface Subscription {
  /** Stops delivering; resolves after any batch in flight has been handled. */
  stop(): Promise<void>;
  /** Resolves when the subscription stops (by `stop()` or by an error in `onEvents`). */
  readonly done: Promise<void>;
}

/** What readers cannot see yet, and for how long (PostgreSQL; EventStoreDB never holds back). */
export interface ReadVisibility {
  /**
   * Events committed but not yet visible to readers, because a transaction that began earlier
   * (idle in transaction, a long `CREATE INDEX`, a prepared transaction) is still open.
   */
  heldBackEvents: number;
  /** Seconds the oldest transaction that bounds what readers see has been open (0: none). */
  horizonAgeSeconds: number;
  /** When the oldest held-back event was recorded (undefined when none is held back). */
  oldestHeldBackAt?: Date;
}

export interface EventStore {
  readonly backend: 'postgresql' | 'eventstoredb';
  /** Creates tables or settings the adapter needs; idempotent. */
  init(): Promise<void>;
  /**
   * Appends to one stream, checking the expected version first (default 'any').
   * A mismatch throws ConcurrencyError and stores nothing. Events whose id is already stored
   * are skipped and reported as duplicates.
   */
  appendToStream(
    streamId: string,
    events: EventToAppend[],
    options?: { expectedVersion?: ExpectedVersion },
  ): Promise<AppendResult>;
  /**
   * The ingest hot path: appends to many streams (expected version 'any') in one round trip or
   * transaction, idempotent by event id.
   */
  appendMany(batches: StreamBatch[]): Promise<BatchAppendResult>;
  readStream(
    streamId: string,
    options?: { fromVersion?: number; maxCount?: number },
  ): Promise<StoredEvent[]>;
  /** Events strictly after `from` in global order, at most `maxCount` (default 1000). */
  readAll(options?: { from?: Position; maxCount?: number }): Promise<StoredEvent[]>;
  /** A catch-up subscription that never skips an event committed late by a concurrent writer. */
  subscribeToAll(options: SubscriptionOptions): Subscription;
  /** Position of the last event visible to readers (START when empty). */
  headPosition(): Promise<Position>;
  /** How many events readers can see after `from` (projection lag); undefined if the backend can't say cheaply. */
  countAfter(from: Position): Promise<number | undefined>;
  /** What an open transaction holds back from readers now (stall detection). */
  visibility(): Promise<ReadVisibility>;
  /**
   * Waits at most `timeoutMs` until every event committed before the call is visible to
   * readers: true when it is, false when an open transaction still holds some back.
   */
  awaitVisible(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}
