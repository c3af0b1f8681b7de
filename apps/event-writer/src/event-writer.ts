import type postgres from 'postgres';
import type { Logger } from '@linkage/common';
import { deterministicUuid } from '@linkage/contracts';
import type { Database, Sql } from '@linkage/database';
import {
  isRetryableAppendError,
  transactionalStore,
  type BatchAppendResult,
  type EventStore,
  type EventToAppend,
  type StreamBatch,
} from '@linkage/event-store';
import { counter, histogram } from '@linkage/observability';
import { linkageSeconds } from '@linkage/pseudonymisation';
import {
  TOPICS,
  startSupervisedConsumer,
  topicName,
  type ConsumerStatus,
  type IncomingMessage,
  type Transport,
} from '@linkage/transport';
import {
  decideLinkage,
  recordLinkedFor,
  type LinkageMethod,
  type RoutedEvent,
} from '@linkage/domain';
import {
  consumerPositionStore,
  ensureIngestSchema,
  recordDataLoss,
  unresolvedLossOf,
} from '@linkage/ingest-store';
import { ensureLinkageSchema } from './linkage/linkage-schema';
import { lockLinkKeys } from './linkage/link-locks';
import { planFuzzyLinks, type EncodedEvent, type EncodingWire } from './linkage/plan-fuzzy-links';

/** The consumer group of the event writer on `ingest.canonical-events.v1`. */
export const EVENT_WRITER_GROUP = 'event-writer';

export interface EventWriterOptions {
  transport: Transport;
  store: EventStore;
  db: Database;
  logger: Logger;
  /** Topic prefix (default `LINKAGE_TOPIC_PREFIX`). */
  topicPrefix?: string;
  groupId?: string;
  /** The clock, for `RecordLinked` metadata (default: the wall clock). */
  now?: () => Date;
  /**
   * Batches (of different partitions) stored at once (default 2). On the embedded database,
   * which has one connection, batches of up to {@link EMBEDDED_PARTITIONS_AT_ONCE} partitions are
   * taken at once and written together in one transaction instead (see `groupCommit`).
   */
  concurrency?: number;
  /**
   * Writes the batches of several partitions together, one transaction at a time (default: on
   * the embedded database only). See `groupCommit`.
   */
  writeTogether?: boolean;
}

export interface EventWriter {
  /** Lag, assignment, last progress and health of its consumer. */
  status(): ConsumerStatus;
  /** Stops consuming after the batch in flight; does not close the transport, store or db. */
  stop(): Promise<void>;
}

interface CanonicalMessage {
  eventId: string;
  type: string;
  schemaVersion: number;
  data: {
    source: string;
    recordType: string;
    personId?: string | null;
    linkKey?: string | null;
    postcodeInLookup?: boolean;
    linkageEncoding?: EncodingWire;
    [k: string]: unknown;
  };
  metadata: { ingestRunId?: string; line?: number; receivedAt?: string };
  /** Where it came from in the log (not stored). */
  position: { topic: string; partition: number; offset: bigint };
  /** The Bloom-filter encodings, taken off `data` (kept by linkage, never stored in the event). */
  encoding?: EncodingWire;
}

const written = counter('linkage_event_writer_events_total', 'Events handled by the event writer', [
  'outcome',
]);
const batchSeconds = histogram(
  'linkage_event_writer_batch_seconds',
  'Time to write one batch (append + linkage index)',
  [],
  [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
);

const MAX_ATTEMPTS = 8;

/**
 * On the embedded database: partitions whose batches are taken at once. They are decoded while
 * the transaction before them is on PGlite, and written together in the next one.
 */
export const EMBEDDED_PARTITIONS_AT_ONCE = 4;

type Tx = postgres.TransactionSql<Record<string, never>>;

/** What a batch will write, decided from the batch and what is already stored. */
interface BatchPlan {
  events: CanonicalMessage[];
  routed: RoutedEvent<CanonicalMessage>[];
  newLinks: { linkKey: string; personId: string }[];
  batches: StreamBatch[];
  /** Records linked or unlinked by this batch after they were stored (index rows change). */
  relinked: Map<string, string | null>;
  writeLinkage: (tx: Tx) => Promise<void>;
}

/**
 * Consumes canonical events and appends them to the event store in batches (one stream per
 * person), recording linkage and per-run counts. On PostgreSQL the append and all bookkeeping
 * share one transaction (`appendManyInTransaction`): one commit per batch, and a redelivered
 * batch finds its offsets already counted. The transport commits the batch's offsets only after
 * this resolves, so a crash redelivers it; redelivery is harmless because event ids are
 * deterministic and the per-run counts skip offsets already counted. Batches of different
 * partitions are handled `concurrency` at a time (one is decoded while another is stored); a
 * person's events share a partition, so they stay in order.
 */
export async function startEventWriter(options: EventWriterOptions): Promise<EventWriter> {
  const { transport, store, db, logger } = options;
  const log = logger.child({ component: 'event-writer' });
  const now = options.now ?? (() => new Date());
  await ensureIngestSchema(db.sql);
  await ensureLinkageSchema(db.sql);
  const topic = topicName(TOPICS.canonicalEvents, options.topicPrefix);
  await transport.ensureTopics([topic]);
  // Bookkeeping joins the append's transaction only when the store writes to this database.
  const transactional = transactionalStore(store, db.sql);
  // One connection per batch in flight on a server. The embedded database has one connection:
  // there batches of several partitions are taken at once, decoded while the transaction before
  // them runs, and written together (one transaction, one append, one index insert).
  const together = options.writeTogether ?? db.embedded;
  const concurrency = together
    ? Math.max(EMBEDDED_PARTITIONS_AT_ONCE, options.concurrency ?? 0)
    : Math.max(1, options.concurrency ?? 2);
  const write = (batches: CanonicalMessage[][]) =>
    writeBatches(db.sql, store, transactional, batches, now, log);
  const writeTogether = together ? groupCommit(write) : undefined;

  const consumer = await startSupervisedConsumer({
    transport,
    name: 'event-writer',
    topic,
    groupId: options.groupId ?? EVENT_WRITER_GROUP,
    fromBeginning: true,
    concurrency,
    logger: log,
    eachBatch: async (messages) => {
      const parsed = parseMessages(messages, log);
      if (parsed.length === 0) return;
      await (writeTogether ? writeTogether(parsed) : write([parsed]));
    },
    blockedBy: await unresolvedLossOf(db.sql, 'event-writer'),
    stillBlocked: async () => (await unresolvedLossOf(db.sql, 'event-writer')) !== null,
    // Positions kept in the database find gaps across restarts (a Kafka log only: the
    // in-process log starts again at 0 in every process).
    positions: transport.kind === 'kafka' ? consumerPositionStore(db.sql) : undefined,
    // Canonical events lost unread: every run waiting for the store fails, loudly.
    onDataLoss: (loss) => recordDataLoss(db.sql, 'event-writer', loss, { failRuns: true }),
  });
  log.info(
    { topic, transactional: transactional !== undefined, concurrency, together },
    'event writer started',
  );
  return {
    status: () => consumer.status(),
    async stop() {
      await consumer.stop();
      log.info('event writer stopped');
    },
  };
}

/**
 * Group commit for a database with one connection: each caller's batch (one partition's) waits
 * while a transaction is under way; then every batch waiting is written in the next transaction,
 * and each caller is answered when that one commits (or fails). A partition has at most one batch
 * in flight (the transport's rule), so its events still go in order; batches of different
 * partitions were never ordered against each other.
 */
function groupCommit(
  write: (batches: CanonicalMessage[][]) => Promise<void>,
): (batch: CanonicalMessage[]) => Promise<void> {
  let waiting: {
    batch: CanonicalMessage[];
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];
  let writing = false;
  const drain = async () => {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      try {
        await write(group.map((w) => w.batch));
      } catch (error) {
        for (const w of group) w.reject(error);
        continue;
      }
      for (const w of group) w.resolve();
    }
    writing = false;
  };
  return (batch) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ batch, resolve, reject });
      if (writing) return;
      writing = true;
      // Started after one turn of the event loop: the transport hands every partition's batch
      // that is ready in one go, so they all join the first transaction too.
      setImmediate(() => void drain());
    });
}

/** Writes the batches (of one partition each) in one transaction. */
async function writeBatches(
  sql: Sql,
  store: EventStore,
  transactional: ReturnType<typeof transactionalStore>,
  batches: CanonicalMessage[][],
  now: () => Date,
  log: Logger,
): Promise<void> {
  const started = process.hrtime.bigint();
  const parsed = batches.length === 1 ? batches[0] : batches.flat();
  if (parsed.length === 0) return;
  // Link keys and blocking keys: batches that share one are serialised (see lockLinkKeys).
  const linkKeys = [
    ...new Set([
      ...parsed.map((e) => e.data.linkKey).filter(isString),
      ...parsed.flatMap((e) => e.encoding?.blocks ?? []),
    ]),
  ];
  let result: { appended: number; duplicates: number } = { appended: 0, duplicates: 0 };
  let events = 0;
  if (transactional) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await sql.begin(async (tx) => {
          await lockLinkKeys(tx, linkKeys);
          const plan = await planBatch(tx, parsed, linkKeys, now);
          events = plan.events.length;
          if (events === 0) return;
          const appended = await transactional.appendManyInTransaction(tx, plan.batches);
          result = appended;
          // In one transaction with the append, an event is new to the index exactly when it
          // is new to the store: the append's answer counts it (see recordOutcome).
          await recordOutcome(tx, plan, appendedIds(appended));
        });
        break;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableAppendError(error)) throw error;
      }
    }
  } else {
    // Another store (EventStoreDB): the link-key locks stay held across the append (this
    // transaction stays open until the bookkeeping is written), so a batch sharing a link key
    // waits and sees the link; a crash in between is repaired by redelivery (the append is
    // idempotent, the counts skip counted offsets).
    await sql.begin(async (tx) => {
      await lockLinkKeys(tx, linkKeys);
      const plan = await planBatch(tx, parsed, linkKeys, now);
      events = plan.events.length;
      if (events === 0) return;
      result = await store.appendMany(plan.batches);
      await recordOutcome(tx, plan);
    });
  }
  if (events === 0) return;
  written.inc({ outcome: 'appended' }, result.appended);
  written.inc({ outcome: 'duplicate' }, result.duplicates);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  batchSeconds.observe(seconds);
  log.debug(
    {
      events,
      partitions: batches.length,
      appended: result.appended,
      duplicates: result.duplicates,
      seconds,
    },
    'batch written',
  );
}

function parseMessages(messages: IncomingMessage[], log: Logger): CanonicalMessage[] {
  const parsed: CanonicalMessage[] = [];
  for (const m of messages) {
    try {
      const value = JSON.parse(m.value.toString('utf8')) as CanonicalMessage;
      if (!value?.eventId || !value.type || !value.data) throw new Error('not a canonical event');
      value.metadata ??= {};
      if (value.data.linkageEncoding) {
        value.encoding = value.data.linkageEncoding;
        delete value.data.linkageEncoding;
      }
      value.position = { topic: m.topic, partition: m.partition, offset: BigInt(m.offset) };
      parsed.push(value);
    } catch {
      // Skipped, not retried forever: a malformed message can never become valid.
      written.inc({ outcome: 'malformed' });
      log.error(
        { partition: m.partition, offset: m.offset },
        'malformed canonical message skipped',
      );
    }
  }
  return parsed;
}

/** Skips what an earlier delivery counted, decides linkage and groups events by stream. */
async function planBatch(
  tx: Tx,
  parsed: CanonicalMessage[],
  linkKeys: string[],
  now: () => Date,
): Promise<BatchPlan> {
  // Messages of a run that an earlier delivery already counted (crash after commit to the
  // database, before the offset commit) are skipped; everything else is (re)appended, which
  // is idempotent by event id. This read and the link keys' are sent together (one round trip).
  const runIds = [...new Set(parsed.map((e) => e.metadata.ingestRunId).filter(isString))];
  const topics = [...new Set(parsed.map((e) => e.position.topic))];
  const partitions = [...new Set(parsed.map((e) => e.position.partition))];
  const [progress, linkRows] = await Promise.all([
    runIds.length === 0
      ? []
      : tx<{ ingest_run_id: string; topic: string; partition: number; last_offset: bigint }[]>`
          select ingest_run_id, topic, partition, last_offset from ingest.run_progress
          where topic = any(${topics}) and partition = any(${partitions}::int[])
            and ingest_run_id = any(${runIds})`,
    linkKeys.length === 0
      ? []
      : tx<{ link_key: string; person_id: string }[]>`
          select link_key, person_id from ingest.link_keys where link_key = any(${linkKeys})`,
  ]);
  const done = new Map<string, bigint>();
  for (const r of progress)
    done.set(progressKey(r.ingest_run_id, r.topic, r.partition), BigInt(r.last_offset));
  const events =
    done.size === 0
      ? parsed
      : parsed.filter((e) => {
          const run = e.metadata.ingestRunId;
          const last = run
            ? done.get(progressKey(run, e.position.topic, e.position.partition))
            : undefined;
          return last === undefined || e.position.offset > last;
        });
  if (events.length === 0)
    return {
      events,
      routed: [],
      newLinks: [],
      batches: [],
      relinked: new Map(),
      writeLinkage: async () => {},
    };

  const linkedAt = now();
  // Life Rooms records with encodings are linked on them (fuzzy, incremental); the link key is
  // then only a fallback for events from an edge that sends no encodings.
  const encoded: EncodedEvent[] = [];
  for (const e of events) {
    if (!e.encoding) continue;
    encoded.push({
      eventId: e.eventId,
      personId: e.data.personId ?? null,
      recordType: e.data.recordType,
      sex: typeof e.data.sex === 'string' ? e.data.sex : null,
      wire: e.encoding,
    });
  }
  const linkStarted = process.hrtime.bigint();
  const fuzzy = await planFuzzyLinks(tx, encoded, linkedAt);
  linkageSeconds.inc({ stage: 'link' }, Number(process.hrtime.bigint() - linkStarted) / 1e9);
  const byKey = events.filter((e) => !(fuzzy.streams.has(e.eventId) && !e.data.personId));
  // Read before the fuzzy plan: nothing in it writes link keys (recordOutcome does).
  const known = new Map<string, string>();
  for (const r of linkRows) known.set(r.link_key, r.person_id);
  const decision = decideLinkage(byKey, { links: known });
  for (const e of events) {
    const streamId = fuzzy.streams.get(e.eventId);
    if (streamId === undefined || e.data.personId) continue;
    const personId = fuzzy.linkedAtArrival.get(e.eventId) ?? null;
    decision.routed.push({
      event: e,
      streamId,
      linkage: personId ? 'fuzzy' : 'unlinked',
      personId,
    });
  }

  // Records parked under a link key by earlier batches join the ones parked in this batch.
  const waiting = new Map<string, string[]>();
  if (decision.newLinks.length > 0) {
    const rows = await tx<{ event_id: string; link_key: string }[]>`
      select event_id::text as event_id, link_key from ingest.linkage_index
      where linkage = 'unlinked' and link_key = any(${decision.newLinks.map((l) => l.linkKey)})`;
    for (const r of rows) waiting.set(r.link_key, [...(waiting.get(r.link_key) ?? []), r.event_id]);
  }
  const streams = new Map<string, EventToAppend[]>();
  const add = (streamId: string, event: EventToAppend) => {
    const list = streams.get(streamId);
    if (list) list.push(event);
    else streams.set(streamId, [event]);
  };
  for (const r of decision.routed) add(r.streamId, toAppend(r.event));
  // Every attribution of a record without an NHS number is a decision event, also when the
  // link was known at arrival: consumers attribute records from these events alone.
  for (const r of decision.routed) {
    if (r.linkage !== 'link_key' || !r.personId || !r.event.data.linkKey) continue;
    const linked = recordLinkedFor(
      { linkKey: r.event.data.linkKey, personId: r.personId },
      [r.event.eventId],
      (parts) => deterministicUuid(parts.join('\u001f')),
      linkedAt,
    );
    if (linked) add(linked.streamId, linked.event);
  }
  for (const d of fuzzy.decisions) add(d.streamId, d.event);
  for (const link of decision.newLinks) {
    const linked = recordLinkedFor(
      link,
      [...(waiting.get(link.linkKey) ?? []), ...link.unlinkedEventIds],
      (parts) => deterministicUuid(parts.join('\u001f')),
      linkedAt,
    );
    if (linked) add(linked.streamId, linked.event);
  }
  const batches: StreamBatch[] = [];
  for (const [streamId, list] of streams) batches.push({ streamId, events: list });
  return {
    events,
    routed: decision.routed,
    newLinks: decision.newLinks,
    batches,
    relinked: fuzzy.relinked,
    writeLinkage: fuzzy.write,
  };
}

/** The ids the append stored (not the duplicates). */
function appendedIds(result: BatchAppendResult): Set<string> {
  const ids = new Set<string>();
  for (const stream of result.streams) for (const id of stream.appended) ids.add(id);
  return ids;
}

/**
 * Linkage index, link keys and run counts. `appended`: the ids the append in this same
 * transaction stored; then an event is accepted when the append stored it (the index is written
 * with the events, so it holds exactly the stored ones), and the insert returns nothing. Without
 * it (a store in another database) the index itself tells which rows are new.
 */
async function recordOutcome(tx: Tx, plan: BatchPlan, appended?: Set<string>): Promise<void> {
  const { routed, newLinks, events } = plan;
  await plan.writeLinkage(tx);
  const rows = routed.map((r) => ({
    event_id: r.event.eventId,
    source: r.event.data.source,
    record_type: r.event.data.recordType,
    linkage: r.linkage satisfies LinkageMethod,
    link_key: r.event.data.linkKey ?? null,
    stream_id: r.streamId,
    ingest_run_id: r.event.metadata.ingestRunId ?? null,
    postcode_in_lookup:
      typeof r.event.data.postcodeInLookup === 'boolean' ? r.event.data.postcodeInLookup : null,
  }));
  // The run counts: processed per run, the offset mark per run and partition.
  const processed = new Map<string, number>();
  const marks = new Map<string, { run: string; topic: string; partition: number; last: bigint }>();
  for (const e of events) {
    const run = e.metadata.ingestRunId;
    if (!run) continue;
    processed.set(run, (processed.get(run) ?? 0) + 1);
    const { topic, partition, offset } = e.position;
    const key = progressKey(run, topic, partition);
    const mark = marks.get(key);
    if (!mark) marks.set(key, { run, topic, partition, last: offset });
    else if (offset > mark.last) mark.last = offset;
  }
  const runs = [...processed.keys()];
  const progress = [...marks.values()];
  const progressRuns = progress.map((m) => m.run);
  const progressTopics = progress.map((m) => m.topic);
  const progressPartitions = progress.map((m) => m.partition);
  const progressLast = progress.map((m) => m.last.toString());
  const runProcessed = runs.map((r) => processed.get(r)!);
  // The rows go as json, not jsonb: json_to_recordset reads the text once, where jsonb would
  // build the whole document first and copy every value out of it again.
  const indexRows = JSON.stringify(rows);
  if (appended) {
    // Accepted: events the append stored, each id once (an id sent twice is one event).
    const accepted = new Map<string, number>();
    const counted = new Set<string>();
    for (const e of events) {
      const run = e.metadata.ingestRunId;
      if (!run || !appended.has(e.eventId) || counted.has(e.eventId)) continue;
      counted.add(e.eventId);
      accepted.set(run, (accepted.get(run) ?? 0) + 1);
    }
    // One statement: the index rows, each run's offset marks and its counts. `on conflict do
    // nothing` stays as a guard; returning the new rows (to count them) cost about a fifth of
    // the statement on the embedded database.
    await tx`
      with inserted as (
        insert into ingest.linkage_index
          (event_id, source, record_type, linkage, link_key, stream_id, ingest_run_id, postcode_in_lookup)
        select event_id, source, record_type, linkage, link_key, stream_id, ingest_run_id, postcode_in_lookup
        from json_to_recordset(${indexRows}::text::json) as x(
          event_id uuid, source text, record_type text, linkage text, link_key text,
          stream_id text, ingest_run_id text, postcode_in_lookup boolean)
        on conflict (event_id) do nothing
      ),
      progress as (
        insert into ingest.run_progress (ingest_run_id, topic, partition, last_offset)
        select * from unnest(${progressRuns}::text[], ${progressTopics}::text[],
          ${progressPartitions}::int[], ${progressLast}::bigint[])
        on conflict (ingest_run_id, topic, partition)
        do update set last_offset = greatest(ingest.run_progress.last_offset, excluded.last_offset)
      )
      update ingest.ingest_runs r
      set processed = r.processed + c.processed,
          accepted = r.accepted + c.accepted,
          duplicates = r.duplicates + (c.processed - c.accepted)
      from unnest(${runs}::text[], ${runProcessed}::bigint[],
        ${runs.map((r) => accepted.get(r) ?? 0)}::bigint[]) as c(run, processed, accepted)
      where r.ingest_run_id = c.run`;
  } else {
    // One statement: the index rows (a redelivered or resent event is already indexed: a
    // duplicate), each run's offset marks, and its counts (accepted = rows new to the index).
    await tx`
      with inserted as (
        insert into ingest.linkage_index
          (event_id, source, record_type, linkage, link_key, stream_id, ingest_run_id, postcode_in_lookup)
        select event_id, source, record_type, linkage, link_key, stream_id, ingest_run_id, postcode_in_lookup
        from json_to_recordset(${indexRows}::text::json) as x(
          event_id uuid, source text, record_type text, linkage text, link_key text,
          stream_id text, ingest_run_id text, postcode_in_lookup boolean)
        on conflict (event_id) do nothing
        returning ingest_run_id
      ),
      accepted as (
        select ingest_run_id, count(*) as n from inserted group by ingest_run_id
      ),
      progress as (
        insert into ingest.run_progress (ingest_run_id, topic, partition, last_offset)
        select * from unnest(${progressRuns}::text[], ${progressTopics}::text[],
          ${progressPartitions}::int[], ${progressLast}::bigint[])
        on conflict (ingest_run_id, topic, partition)
        do update set last_offset = greatest(ingest.run_progress.last_offset, excluded.last_offset)
      ),
      counts as (
        select c.run, c.processed, coalesce(a.n, 0) as accepted
        from unnest(${runs}::text[], ${runProcessed}::bigint[]) as c(run, processed)
        left join accepted a on a.ingest_run_id = c.run
      )
      update ingest.ingest_runs r
      set processed = r.processed + counts.processed,
          accepted = r.accepted + counts.accepted,
          duplicates = r.duplicates + (counts.processed - counts.accepted)
      from counts
      where r.ingest_run_id = counts.run`;
  }
  if (newLinks.length > 0) {
    const links = JSON.stringify(
      newLinks.map((l) => ({ link_key: l.linkKey, person_id: l.personId })),
    );
    await tx`
      insert into ingest.link_keys (link_key, person_id)
      select link_key, person_id from jsonb_to_recordset(${links}::text::jsonb) as x(link_key text, person_id text)
      on conflict (link_key) do nothing`;
    await tx`
      update ingest.linkage_index set linkage = 'link_key'
      where linkage = 'unlinked' and link_key = any(${newLinks.map((l) => l.linkKey)})`;
  }
  if (plan.relinked.size > 0) {
    const linked = [...plan.relinked].filter(([, p]) => p !== null).map(([id]) => id);
    const unlinked = [...plan.relinked].filter(([, p]) => p === null).map(([id]) => id);
    if (linked.length > 0)
      await tx`update ingest.linkage_index set linkage = 'fuzzy' where event_id = any(${linked}::uuid[])`;
    if (unlinked.length > 0)
      await tx`update ingest.linkage_index set linkage = 'unlinked' where event_id = any(${unlinked}::uuid[])`;
  }
}

/** A run's offset mark is kept per topic and partition. */
const progressKey = (run: string, topic: string, partition: number) =>
  `${run}\u0000${topic}\u0000${partition}`;

function toAppend(e: CanonicalMessage): EventToAppend {
  return {
    eventId: e.eventId,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
  };
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Error class and code only: driver messages can quote parameters. */
export function errorSummary(error: unknown): { name: string; code?: string } {
  if (error instanceof Error) {
    return { name: error.name, code: (error as { code?: string }).code };
  }
  return { name: typeof error };
}
