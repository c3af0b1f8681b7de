import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START as ESDB_START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position as EsdbPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { ConcurrencyError, ValidationError } from '@linkage/common';
import {
  START,
  type AppendResult,
  type BatchAppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type Position,
  type ReadVisibility,
  type StoredEvent,
  type StreamBatch,
  type Subscription,
  type SubscriptionOptions,
} from '../event-store.port';

const DIGITS = 20;
/** How many streams appendMany writes at once. */
const APPEND_CONCURRENCY = 32;
const MAX_ATTEMPTS = 8;
/** Prefix of the streams that claim an event id for the stream that stored it first. */
const ID_CLAIM_PREFIX = 'linkage-event-id-';
/** Pause before a dropped subscription resumes: doubles from the first to the last. */
const RESUBSCRIBE_MS = { first: 100, last: 5_000 };

/** ESDB stores our schema version beside the caller's metadata. */
interface StoredMetadata {
  schemaVersion: number;
  metadata: Record<string, unknown>;
}

/** `commit:prepare`, zero-padded so that positions compare as plain strings. */
export function encodeEsdbPosition(position: EsdbPosition): Position {
  return `${position.commit.toString().padStart(DIGITS, '0')}:${position.prepare.toString().padStart(DIGITS, '0')}`;
}

export function decodeEsdbPosition(position: Position): EsdbPosition {
  const match = /^(\d{1,20}):(\d{1,20})$/.exec(position);
  if (!match) throw new ValidationError({ field: '/position', reason: 'invalid_position' });
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

/**
 * The EventStoreDB adapter. EventStoreDB keeps the global order itself ($all, positioned by
 * `commit:prepare`), so subscriptions need none of the PostgreSQL adapter's care.
 *
 * Differences it hides:
 * - Idempotency: ESDB only dedups ids within its idempotency window and for the same position,
 *   so every append first reads the stream's ids and appends only new ones with the revision it
 *   read as expected revision (a concurrent writer makes that fail, and the append is retried
 *   or reported as a conflict). Across streams, an id is claimed first in its own stream
 *   (`linkage-event-id-<id>`, appended with "no stream" expected): the first stream to claim it
 *   owns it, any other gets a duplicate, as on PostgreSQL. Claim streams never reach readers.
 *   Known cost: one read of the stream and one small append per new event.
 * - appendMany: every event is validated before anything is written, so an invalid event stores
 *   nothing of its batch (as on PostgreSQL). KNOWN LIMITATION: ESDB has no multi-stream
 *   transaction, so a server failure part-way through leaves the streams already written in
 *   place; appends are idempotent by id, so retrying the whole batch completes it.
 * - Subscriptions survive a dropped connection: the error is reported through `onError` and
 *   the subscription resumes after its last delivered position, with a growing pause.
 * - `countAfter` reads $all forward from the position (ESDB keeps no count): exact, O(events).
 * - System events (`$`-prefixed types or streams) never reach readAll or subscribers.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly backend = 'eventstoredb' as const;
  private readonly subscriptions = new Set<Subscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: { ownsClient?: boolean } = {},
  ) {}

  /** A store on its own client (closed with the store), from an `esdb://` connection string. */
  static connect(url: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(url), {
      ownsClient: true,
    });
  }

  async init(): Promise<void> {
    // Nothing to create; fail early if the server cannot be reached.
    await this.headPosition();
  }

  async appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedVersion?: ExpectedVersion } = {},
  ): Promise<AppendResult> {
    validate(events);
    return this.appendDeduplicated(streamId, events, options.expectedVersion ?? 'any', new Set());
  }

  async appendMany(batches: StreamBatch[]): Promise<BatchAppendResult> {
    // All or nothing for what can be checked: nothing is written when any event is invalid.
    for (const b of batches) validate(b.events);
    // Merge batches of the same stream, keeping input order.
    const byStream = new Map<string, EventToAppend[]>();
    for (const b of batches)
      byStream.set(b.streamId, [...(byStream.get(b.streamId) ?? []), ...b.events]);
    // Ids claimed by an earlier stream of this call count as duplicates, as on PostgreSQL.
    const claimed = new Set<string>();
    const entries = [...byStream.entries()];
    const claims = entries.map(([, events]) => {
      const mine = new Set<string>();
      for (const e of events) {
        const id = e.eventId.toLowerCase();
        if (!claimed.has(id)) {
          claimed.add(id);
          mine.add(id);
        }
      }
      return mine;
    });
    const streams: AppendResult[] = new Array(entries.length);
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const i = next++;
        const [streamId, events] = entries[i];
        const foreign = new Set(
          events.map((e) => e.eventId.toLowerCase()).filter((id) => !claims[i].has(id)),
        );
        streams[i] = await this.appendDeduplicated(streamId, events, 'any', foreign);
      }
    };
    await Promise.all(Array.from({ length: Math.min(APPEND_CONCURRENCY, entries.length) }, worker));
    return {
      appended: streams.reduce((n, s) => n + s.appended.length, 0),
      duplicates: streams.reduce((n, s) => n + s.duplicates.length, 0),
      streams,
    };
  }

  async readStream(
    streamId: string,
    options: { fromVersion?: number; maxCount?: number } = {},
  ): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        fromRevision: BigInt(options.fromVersion ?? 0),
        direction: FORWARDS,
        ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
      })) {
        const stored = toStoredEvent(resolved);
        if (stored) out.push(stored);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: { from?: Position; maxCount?: number } = {}): Promise<StoredEvent[]> {
    const from = options.from ?? START;
    const maxCount = options.maxCount ?? 1000;
    const pageSize = Math.max(100, maxCount);
    const out: StoredEvent[] = [];
    let cursor: Position = from;
    for (;;) {
      let read = 0;
      for await (const resolved of this.client.readAll({
        fromPosition: cursor === START ? ESDB_START : decodeEsdbPosition(cursor),
        direction: FORWARDS,
        maxCount: pageSize,
      })) {
        read += 1;
        const raw = resolved.event;
        if (!raw) continue;
        const position = encodeEsdbPosition(raw.position);
        // The start position is inclusive on ESDB; ours is exclusive.
        if (position <= cursor) continue;
        cursor = position;
        const stored = toStoredEvent(resolved);
        if (stored) out.push(stored);
        if (out.length >= maxCount) return out;
      }
      if (read < pageSize) return out;
    }
  }

  subscribeToAll(options: SubscriptionOptions): Subscription {
    const batchSize = options.batchSize ?? 500;
    let esdb: AllStreamSubscription | undefined;
    /** Where the current ESDB subscription started (exclusive on our side). */
    let startedAfter = options.from;
    const buffer: StoredEvent[] = [];
    let checkpoint = options.from;
    let flushing: Promise<void> | undefined;
    let scheduled = false;
    let caughtUpPending = false;
    let stopped = false;
    let retryMs = RESUBSCRIBE_MS.first;
    let retryTimer: NodeJS.Timeout | undefined;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));

    const end = async () => {
      if (stopped) return;
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      await esdb?.unsubscribe().catch(() => undefined);
      this.subscriptions.delete(subscription);
      finish();
    };
    const reportCaughtUp = () => {
      if (caughtUpPending && buffer.length === 0 && !flushing) {
        caughtUpPending = false;
        options.onCaughtUp?.(checkpoint);
      }
    };
    const flush = async () => {
      scheduled = false;
      if (stopped || buffer.length === 0 || flushing) return;
      esdb?.pause();
      const batch = buffer.splice(0, batchSize);
      flushing = (async () => {
        try {
          await options.onEvents(batch);
          checkpoint = batch[batch.length - 1].position;
          retryMs = RESUBSCRIBE_MS.first; // delivering again: the connection is back
        } catch (error) {
          options.onError?.(error);
          await end();
        }
      })();
      await flushing;
      flushing = undefined;
      if (stopped) return;
      if (buffer.length > 0) schedule();
      else {
        esdb?.resume();
        reportCaughtUp();
      }
    };
    const schedule = () => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    };
    /**
     * A dropped connection is not the end: report it, drop what was buffered but not delivered,
     * and subscribe again after the last delivered position once the pause is over.
     */
    const resubscribe = async (error: unknown) => {
      const dropped = esdb;
      esdb = undefined;
      await dropped?.unsubscribe().catch(() => undefined);
      if (stopped) return;
      options.onError?.(error);
      await flushing;
      buffer.length = 0;
      const pause = retryMs;
      retryMs = Math.min(retryMs * 2, RESUBSCRIBE_MS.last);
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        if (!stopped) connect();
      }, pause);
    };
    const connect = () => {
      startedAfter = checkpoint;
      const current = this.client.subscribeToAll({
        fromPosition: startedAfter === START ? ESDB_START : decodeEsdbPosition(startedAfter),
        filter: excludeSystemEvents(),
      });
      esdb = current;
      current.on('data', (resolved: AllStreamResolvedEvent) => {
        if (stopped || esdb !== current) return;
        const stored = toStoredEvent(resolved);
        // Guard against a redelivered start position: ours is exclusive.
        if (!stored || (startedAfter !== START && stored.position <= startedAfter)) return;
        buffer.push(stored);
        if (buffer.length >= batchSize) current.pause();
        schedule();
      });
      current.on('caughtUp', () => {
        if (esdb !== current) return;
        caughtUpPending = true;
        reportCaughtUp();
      });
      current.on('error', (error: Error) => {
        if (stopped || esdb !== current) return;
        void resubscribe(error);
      });
      current.on('end', () => {
        if (stopped || esdb !== current) return;
        void resubscribe(new Error('subscription ended by the server'));
      });
    };
    connect();

    const subscription: Subscription = {
      done,
      stop: async () => {
        await flushing;
        await end();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position> {
    for await (const resolved of this.client.readAll({
      fromPosition: END,
      direction: BACKWARDS,
      maxCount: 1000,
    })) {
      const stored = toStoredEvent(resolved);
      if (stored) return stored.position;
    }
    // Only system events near the end (or none at all); a slower but exact fallback.
    let head: Position = START;
    for (let page = await this.readAll({ maxCount: 1000 }); page.length > 0;) {
      head = page[page.length - 1].position;
      page = await this.readAll({ from: head, maxCount: 1000 });
    }
    return head;
  }

  /** Counts by reading $all forward (ESDB keeps no count): exact, but O(events after `from`). */
  async countAfter(from: Position): Promise<number> {
    let count = 0;
    for (let page = await this.readAll({ from, maxCount: 1000 }); page.length > 0;) {
      count += page.length;
      if (page.length < 1000) break;
      page = await this.readAll({ from: page[page.length - 1].position, maxCount: 1000 });
    }
    return count;
  }

  /** EventStoreDB orders $all itself: a committed event is visible at once, nothing is held back. */
  async visibility(): Promise<ReadVisibility> {
    return { heldBackEvents: 0, horizonAgeSeconds: 0 };
  }

  async awaitVisible(_timeoutMs: number): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.options.ownsClient) await this.client.dispose();
  }

  /**
   * Reads the stream's ids and version, checks the expected version, appends the events whose
   * ids are new (and not in `foreign`) with the version read as expected revision. A concurrent
   * append to the stream fails that check: for 'any' and 'stream_exists' we read again and retry,
   * for an exact expectation it is a conflict.
   */
  private async appendDeduplicated(
    streamId: string,
    events: EventToAppend[],
    expected: ExpectedVersion,
    foreign: Set<string>,
  ): Promise<AppendResult> {
    for (let attempt = 1; ; attempt += 1) {
      const { version, ids } = await this.streamState(streamId);
      if (!matches(expected, version)) {
        throw new ConcurrencyError(streamId, String(expected), String(version));
      }
      const candidates: EventToAppend[] = [];
      const duplicates: string[] = [];
      const seen = new Set(ids);
      for (const e of events) {
        const id = e.eventId.toLowerCase();
        if (seen.has(id) || foreign.has(id)) duplicates.push(e.eventId);
        else {
          seen.add(id);
          candidates.push(e);
        }
      }
      // New to this stream; an id another stream claimed first is a duplicate there.
      const owned = await Promise.all(candidates.map((e) => this.claimId(e.eventId, streamId)));
      const appended = candidates.filter((_, i) => owned[i]);
      for (const [i, e] of candidates.entries()) if (!owned[i]) duplicates.push(e.eventId);
      if (appended.length === 0) {
        return { streamId, nextExpectedVersion: version, appended: [], duplicates };
      }
      try {
        const result = await this.client.appendToStream(
          streamId,
          appended.map((e) =>
            jsonEvent({
              id: e.eventId,
              type: e.type,
              data: e.data,
              metadata: {
                schemaVersion: e.schemaVersion,
                metadata: e.metadata ?? {},
              } satisfies StoredMetadata,
            }),
          ),
          { expectedRevision: version === -1 ? NO_STREAM : BigInt(version) },
        );
        return {
          streamId,
          nextExpectedVersion: Number(result.nextExpectedRevision),
          appended: appended.map((e) => e.eventId),
          duplicates,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        const retry =
          (expected === 'any' || expected === 'stream_exists') && attempt < MAX_ATTEMPTS;
        if (!retry) {
          const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
          throw new ConcurrencyError(streamId, String(expected), String(actual));
        }
      }
    }
  }

  /**
   * Claims an event id for a stream: true when the stream owns it (claimed now, or by an earlier
   * attempt of the same stream), false when another stream claimed it first.
   */
  private async claimId(eventId: string, streamId: string): Promise<boolean> {
    const claim = `${ID_CLAIM_PREFIX}${eventId.toLowerCase()}`;
    try {
      await this.client.appendToStream(
        claim,
        jsonEvent({ type: 'EventIdClaimed', data: { streamId } }),
        { expectedRevision: NO_STREAM },
      );
      return true;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
    }
    for await (const resolved of this.client.readStream(claim, {
      fromRevision: ESDB_START,
      direction: FORWARDS,
      maxCount: 1,
    })) {
      return (resolved.event?.data as { streamId?: string } | undefined)?.streamId === streamId;
    }
    return false;
  }

  private async streamState(streamId: string): Promise<{ version: number; ids: Set<string> }> {
    const ids = new Set<string>();
    let version = -1;
    try {
      for await (const resolved of this.client.readStream(streamId, {
        fromRevision: ESDB_START,
        direction: FORWARDS,
      })) {
        if (!resolved.event) continue;
        ids.add(resolved.event.id.toLowerCase());
        version = Number(resolved.event.revision);
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return { version, ids };
  }
}

function matches(expected: ExpectedVersion, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === -1;
    case 'stream_exists':
      return current >= 0;
    default:
      return current === expected;
  }
}

function isSystem(type: string, streamId: string): boolean {
  return type.startsWith('$') || streamId.startsWith('$') || streamId.startsWith(ID_CLAIM_PREFIX);
}

function validate(events: EventToAppend[]): void {
  for (const e of events) {
    if (!Number.isInteger(e.schemaVersion)) {
      throw new ValidationError({ field: '/schemaVersion', reason: 'not_an_integer' });
    }
  }
}

/** Our view of an ESDB event; undefined for system events, links and non-JSON events. */
function toStoredEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): StoredEvent | undefined {
  const raw = resolved.event;
  if (!raw || !raw.isJson || isSystem(raw.type, raw.streamId)) return undefined;
  const meta = (raw.metadata ?? {}) as Partial<StoredMetadata>;
  const position = raw.position
    ? encodeEsdbPosition(raw.position)
    : resolved.commitPosition !== undefined
      ? encodeEsdbPosition({ commit: resolved.commitPosition, prepare: resolved.commitPosition })
      : START;
  return {
    eventId: raw.id,
    type: raw.type,
    schemaVersion: meta.schemaVersion ?? 1,
    data: raw.data as Record<string, unknown>,
    metadata: meta.metadata ?? {},
    streamId: raw.streamId,
    streamVersion: Number(raw.revision),
    position,
    recordedAt: raw.created,
  };
}
