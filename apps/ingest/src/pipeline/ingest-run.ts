import { randomUUID } from 'node:crypto';
import type { Logger } from '@linkage/common';
import type { Source } from '@linkage/contracts';
import type { Database, Sql } from '@linkage/database';
import { counter } from '@linkage/observability';
import type { Pseudonymiser } from '@linkage/pseudonymisation';
import type { PostcodeLookup } from '@linkage/reference';
import { TOPICS, topicName, type OutgoingMessage, type Transport } from '@linkage/transport';
import {
  edgeOutcomeOf,
  ingestRecord,
  type EdgeOutcome,
  type EdgeThreads,
  type Rejection,
} from '../edge';
import { ensureIngestSchema } from '../storage/ingest-schema';
import { IngestRunFailedError, type IngestFailure } from './ingest-run-failed';
import {
  maxWriterLagBytesFromEnv,
  maxWriterLagFromEnv,
  meanRecordBytes,
  waitForWriterLag,
} from './writer-backpressure';
import type { IngestSummary, RejectionSample } from './ingest-summary';

/** One raw record as read from a file, a request body or a raw topic. */
export interface RawRecord {
  /** An NDJSON line, or an object (a CSV row). */
  input: unknown;
  /** 1-based line in its file or body. */
  line?: number;
  /** Found by the reader before parsing: the record is rejected as it is (input is empty). */
  rejected?: 'line_too_long' | 'invalid_encoding';
  /** Where a record read from Kafka was (its dead letter names it). */
  position?: { topic: string; partition: number; offset: string };
}

/** What an ingest run needs (all passed in: no globals). */
export interface IngestDependencies {
  transport: Transport;
  db: Database;
  logger: Logger;
  pseudonymiser: Pseudonymiser;
  postcodes: PostcodeLookup;
  /** Topic prefix (default `LINKAGE_TOPIC_PREFIX`). */
  topicPrefix?: string;
  /** Records per publish (default 2000). */
  batchSize?: number;
  now?: () => Date;
  /**
   * How long the event writer may go without storing anything of the run while the run waits
   * for it (default 10 min); then the run fails `store_timeout`.
   */
  waitTimeoutMs?: number;
  /**
   * Backpressure: most events of a run published but not yet stored (default
   * `LINKAGE_INGEST_MAX_UNSTORED` or 20,000); publishing waits for the writer beyond it.
   */
  maxUnstored?: number;
  /**
   * Global backpressure: publishing waits while the event writer's group lags more than this
   * many messages, whoever published them (default `LINKAGE_WRITER_MAX_LAG` or 50,000; 0: off).
   */
  maxWriterLag?: number;
  /**
   * Global backpressure by size: publishing also waits while any one partition of the canonical
   * topic holds more than this many bytes unread by the event writer, so that a broker's
   * size-based retention never deletes unread events (default `LINKAGE_WRITER_MAX_LAG_BYTES` or
   * 2 MiB; 0: off).
   */
  maxWriterLagBytes?: number;
  /** The event writer's consumer group (default `event-writer`). */
  writerGroupId?: string;
  /** The edge on worker threads, used for file ingest when given (see `EdgeThreads`). */
  edgeThreads?: EdgeThreads;
}

export interface IngestRunOptions {
  source: Source;
  origin: 'file' | 'http' | 'raw-topic';
  /** Called after each batch is published, with records read so far. */
  onBatch?: (recordsRead: number) => void;
  /** Aborted when the client goes away: the run ends `aborted`. */
  signal?: AbortSignal;
}

/** Rejections a summary lists one by one. */
const FIRST_REJECTIONS = 20;

/** Records per message to an edge thread. */
const EDGE_CHUNK = 500;

/** Records between turns of the event loop (see the read loop). */
const YIELD_EVERY = 128;

const records = counter('linkage_ingest_records_total', 'Records read by ingest', [
  'source',
  'outcome',
]);

/**
 * Streams records through the edge (validate + pseudonymise), publishes canonical events keyed
 * by person (or link key) and dead letters in batches, awaiting each publish before reading on
 * and holding back while the event writer is too far behind (backpressure), then waits until
 * the event writer has stored the run and summarises what the store did. A run always ends:
 * `stored`, or `failed` / `aborted` (then `IngestRunFailedError` carries the accounting).
 * Nothing identifying leaves this function: events are pseudonymised, dead letters carry only
 * record id, line, field, reason and Kafka position.
 */
export async function ingestRecords(
  items: AsyncIterable<RawRecord>,
  deps: IngestDependencies,
  options: IngestRunOptions,
): Promise<IngestSummary> {
  const started = Date.now();
  const now = deps.now ?? (() => new Date());
  const { source } = options;
  const sql = deps.db.sql;
  const batchSize = deps.batchSize ?? 2000;
  const maxUnstored = deps.maxUnstored ?? Number(process.env.LINKAGE_INGEST_MAX_UNSTORED ?? 20_000);
  const waitTimeoutMs = deps.waitTimeoutMs ?? 600_000;
  const maxWriterLag = deps.maxWriterLag ?? maxWriterLagFromEnv();
  // Only a broker deletes unread messages (the in-process log keeps them until read).
  const maxWriterLagBytes =
    deps.transport.kind === 'kafka' ? (deps.maxWriterLagBytes ?? maxWriterLagBytesFromEnv()) : 0;
  const canonicalTopic = topicName(TOPICS.canonicalEvents, deps.topicPrefix);
  const deadLetterTopic = topicName(TOPICS.deadLetters, deps.topicPrefix);
  const ingestRunId = randomUUID();
  const log = deps.logger.child({ ingestRunId, source });
  await ensureIngestSchema(sql);
  await deps.transport.ensureTopics([canonicalTopic, deadLetterTopic]);
  await sql`
    insert into ingest.ingest_runs (ingest_run_id, source, origin)
    values (${ingestRunId}, ${source}, ${options.origin})`;
  log.info({ origin: options.origin }, 'ingest run started');

  let read = 0;
  let published = 0;
  const rejectedByReason: Record<string, number> = {};
  const firstRejections: RejectionSample[] = [];
  // Data-quality warnings of kept records, by field and reason (e.g. `/nhs_number:invalid_nhs_number`).
  const warnings: Record<string, number> = {};
  let events: OutgoingMessage[] = [];
  let rejections: DeadLetter[] = [];

  const summarise = async (
    status: IngestSummary['status'],
    failure?: IngestFailure,
  ): Promise<IngestSummary> => {
    const [row] = await sql<{ accepted: bigint; duplicates: bigint }[]>`
      select accepted, duplicates from ingest.ingest_runs where ingest_run_id = ${ingestRunId}`;
    const linkage = await sql<{ linkage: string; n: bigint }[]>`
      select linkage, count(*) as n from ingest.linkage_index
      where ingest_run_id = ${ingestRunId} group by linkage`;
    const count = (l: string) => Number(linkage.find((r) => r.linkage === l)?.n ?? 0);
    return {
      ingestRunId,
      source,
      status,
      ...(failure ? { failure } : {}),
      records: read,
      published,
      accepted: Number(row?.accepted ?? 0),
      duplicates: Number(row?.duplicates ?? 0),
      rejected: read - published,
      rejectedByReason,
      firstRejections,
      warnings,
      linked: count('nhs_number') + count('link_key') + count('fuzzy') + count('clerical'),
      unlinked: count('unlinked'),
      durationMs: Date.now() - started,
    };
  };

  /** Ends the run failed or aborted (unless the event writer already failed it) and throws. */
  const fail = async (failure: IngestFailure): Promise<never> => {
    const status = failure === 'aborted' ? 'aborted' : 'failed';
    const [row] = await sql<{ status: string; failure: string | null }[]>`
      update ingest.ingest_runs
      set status = case when status = 'failed' then status else ${status} end,
          failure = coalesce(failure, ${failure}),
          records = ${read}, rejected = ${read - published}, published = ${published},
          finished_at = coalesce(finished_at, now())
      where ingest_run_id = ${ingestRunId}
      returning status, failure`;
    const ended = (row?.failure ?? failure) as IngestFailure;
    const summary = await summarise(row?.status as IngestSummary['status'], ended);
    log.error(
      { ...summary, rejectedByReason: undefined, firstRejections: undefined },
      'ingest run ended without storing everything',
    );
    throw new IngestRunFailedError(ended, summary);
  };

  /** What the event writer has done of this run so far (and whether it failed the run). */
  const progress = async () => {
    const [row] = await sql<{ processed: bigint; status: string; failure: string | null }[]>`
      select processed, status, failure from ingest.ingest_runs where ingest_run_id = ${ingestRunId}`;
    return { processed: Number(row.processed), status: row.status, failure: row.failure };
  };

  /**
   * Waits until at most `allowed` published events are unstored. Fails the run when the
   * writer failed it (data loss), the client went away, or the writer stored nothing of it for
   * `waitTimeoutMs`.
   */
  const waitForWriter = async (allowed: number): Promise<void> => {
    let lastProcessed = -1;
    let lastChange = Date.now();
    let interval = 20;
    for (;;) {
      const p = await progress();
      if (p.status === 'failed')
        return fail((p.failure as IngestFailure | null) ?? 'ingest_failed');
      if (published - p.processed <= allowed) return;
      if (options.signal?.aborted) return fail('aborted');
      if (p.processed !== lastProcessed) {
        lastProcessed = p.processed;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > waitTimeoutMs) {
        log.error(
          { processed: p.processed, published },
          'the event writer stored nothing of the run in time; is it running (`linkage serve --services event-writer`)?',
        );
        return fail('store_timeout');
      }
      await new Promise((r) => setTimeout(r, interval));
      interval = Math.min(250, interval * 2);
    }
  };

  const flush = async () => {
    if (events.length === 0 && rejections.length === 0) return;
    const out = events;
    const dead = rejections;
    events = [];
    rejections = [];
    if (out.length > 0 && published > 0) {
      await waitForWriter(Math.max(0, maxUnstored - out.length));
    }
    if (out.length > 0) {
      const outcome = await waitForWriterLag({
        transport: deps.transport,
        topic: canonicalTopic,
        groupId: deps.writerGroupId,
        maxWriterLag,
        maxWriterLagBytes,
        recordBytes: maxWriterLagBytes > 0 ? meanRecordBytes(out) : 0,
        logger: log,
        timeoutMs: waitTimeoutMs,
        shouldStop: async () =>
          options.signal?.aborted === true || (await progress()).status === 'failed',
      });
      if (outcome === 'timeout') return fail('store_timeout');
      if (outcome === 'stopped') {
        const p = await progress();
        return fail(
          p.status === 'failed'
            ? ((p.failure as IngestFailure | null) ?? 'ingest_failed')
            : 'aborted',
        );
      }
    }
    await Promise.all([
      deps.transport.publish(canonicalTopic, out),
      publishDeadLetters(deps.transport, sql, deadLetterTopic, dead, ingestRunId),
    ]);
    published += out.length;
    records.inc({ source, outcome: 'published' }, out.length);
    records.inc({ source, outcome: 'rejected' }, dead.length);
    options.onBatch?.(read);
  };

  let ctx = {
    pseudonymiser: deps.pseudonymiser,
    postcodes: deps.postcodes,
    ingestRunId,
    now: now(),
    receivedAt: now(),
  };
  const reject = (rejection: Rejection, position: RawRecord['position']) => {
    rejections.push({ ...rejection, position });
    rejectedByReason[rejection.reason] = (rejectedByReason[rejection.reason] ?? 0) + 1;
    if (firstRejections.length < FIRST_REJECTIONS) {
      firstRejections.push({
        line: rejection.line ?? null,
        recordId: rejection.recordId ?? null,
        field: rejection.field,
        reason: rejection.reason,
      });
    }
  };
  const readerRejected = (item: RawRecord) => {
    const line = item.line !== undefined ? { line: item.line } : {};
    reject({ source, ...line, field: '', reason: item.rejected!, errors: [] }, item.position);
  };
  const full = () => events.length + rejections.length >= batchSize;
  const flushAndTick = async () => {
    await flush();
    const t = now();
    ctx = { ...ctx, now: t, receivedAt: t };
  };
  const take = (item: RawRecord, outcome: EdgeOutcome) => {
    if (outcome.ok) {
      for (const w of outcome.warnings ?? []) {
        const k = `${w.field}:${w.reason}`;
        warnings[k] = (warnings[k] ?? 0) + 1;
      }
      events.push({ key: outcome.key, value: outcome.value });
    } else {
      reject(outcome.rejection, item.position);
    }
  };
  // File ingest's edge on worker threads: chunks are handed over ahead (a few per thread) and
  // taken back in order, so the outcome is the same as the in-thread edge's, record for record.
  const threads = options.origin === 'file' ? deps.edgeThreads : undefined;
  const inFlight: { items: RawRecord[]; outcomes: Promise<EdgeOutcome[]> }[] = [];
  let chunk: RawRecord[] = [];
  const handOver = () => {
    const items = chunk;
    chunk = [];
    const toEdge = items.filter((i) => !i.rejected).map((i) => ({ input: i.input, line: i.line }));
    const outcomes = threads!.run(source, toEdge, { ingestRunId, now: now() });
    // Settled here too, so a chunk that fails while an earlier one is awaited is not unhandled.
    outcomes.catch(() => undefined);
    inFlight.push({ items, outcomes });
  };
  const takeBack = async () => {
    const { items, outcomes } = inFlight.shift()!;
    const results = await outcomes;
    let next = 0;
    for (const item of items) {
      if (options.signal?.aborted) return;
      read += 1;
      if (item.rejected) readerRejected(item);
      else take(item, results[next++]);
      if (full()) await flushAndTick();
    }
  };
  try {
    for await (const item of items) {
      if (options.signal?.aborted) break;
      if (threads) {
        chunk.push(item);
        if (chunk.length >= EDGE_CHUNK) {
          handOver();
          if (inFlight.length > threads.threads * 2) await takeBack();
        }
        continue;
      }
      read += 1;
      // Let I/O callbacks run now and then: the loop otherwise only yields to microtasks, and a
      // writer in this process (its database replies) would wait for a whole batch of edge work.
      if (read % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      if (item.rejected) readerRejected(item);
      else take(item, edgeOutcomeOf(ingestRecord(source, item.input, { ...ctx, line: item.line })));
      if (full()) await flushAndTick();
    }
    if (threads) {
      if (chunk.length > 0 && !options.signal?.aborted) handOver();
      while (inFlight.length > 0 && !options.signal?.aborted) await takeBack();
    }
    if (options.signal?.aborted) return await fail('aborted');
    await flush();
  } catch (error) {
    if (error instanceof IngestRunFailedError) throw error;
    // A reader that fails (a body over the limit, a client that went away) ends the run.
    const code = (error as { code?: unknown } | null)?.code;
    return fail(
      code === 'body_too_large' || code === 'invalid_encoding' || code === 'line_too_long'
        ? code
        : options.signal?.aborted
          ? 'aborted'
          : 'ingest_failed',
    );
  }
  const rejected = read - published;
  await sql`
    update ingest.ingest_runs
    set records = ${read}, rejected = ${rejected}, published = ${published}, status = 'published'
    where ingest_run_id = ${ingestRunId} and status = 'running'`;
  log.info({ records: read, published, rejected }, 'ingest run published; waiting for the store');

  await waitForWriter(0);
  const ended = await sql`
    update ingest.ingest_runs set status = 'stored', finished_at = now()
    where ingest_run_id = ${ingestRunId} and status = 'published'
    returning status`;
  if (ended.length === 0) {
    // The event writer failed the run between the last look and now.
    const p = await progress();
    return fail((p.failure as IngestFailure | null) ?? 'ingest_failed');
  }
  await sql`delete from ingest.run_progress where ingest_run_id = ${ingestRunId}`;
  const summary = await summarise('stored');
  log.info(
    { ...summary, rejectedByReason: undefined, firstRejections: undefined },
    'ingest run stored',
  );
  return summary;
}

/** A rejection on its way to the dead-letter topic and table. */
type DeadLetter = Rejection & { position?: RawRecord['position'] };

/**
 * Dead letters, idempotent: one per rejected message of a topic (topic, partition, offset), or
 * per source + record id (or line, when there is no usable record id) + field + reason for files
 * and requests, so a retried batch or a rerun of the same extract adds none. Only new ones go to
 * the dead-letter topic. Redacted by construction: a rejection names the record, field and
 * reason, never a value.
 */
async function publishDeadLetters(
  transport: Transport,
  sql: Sql,
  topic: string,
  rejections: DeadLetter[],
  ingestRunId: string,
): Promise<void> {
  if (rejections.length === 0) return;
  const letters = rejections.map((r) => ({
    source: r.source,
    recordId: r.recordId ?? null,
    line: r.line ?? null,
    field: r.field,
    reason: r.reason,
    ingestRunId,
    ...(r.position
      ? { topic: r.position.topic, partition: r.position.partition, offset: r.position.offset }
      : {}),
    dedupeKey: r.position
      ? `kafka|${r.position.topic}|${r.position.partition}|${r.position.offset}`
      : [
          r.source,
          r.recordId !== undefined ? `id:${r.recordId}` : `line:${r.line ?? ''}`,
          r.field,
          r.reason,
        ].join('|'),
  }));
  const fresh = await sql<{ dedupe_key: string }[]>`
    insert into ingest.dead_letters
      (source, record_id, line, field, reason, ingest_run_id, topic, partition, kafka_offset, dedupe_key)
    select source, "recordId", line, field, reason, "ingestRunId", topic, partition, "offset", "dedupeKey"
    from jsonb_to_recordset(${JSON.stringify(letters)}::text::jsonb) as x(
      source text, "recordId" text, line integer, field text, reason text, "ingestRunId" text,
      topic text, partition integer, "offset" bigint, "dedupeKey" text)
    on conflict (dedupe_key) do nothing
    returning dedupe_key`;
  const isFresh = new Set(fresh.map((r) => r.dedupe_key));
  const out = letters.filter((l) => isFresh.has(l.dedupeKey));
  await transport.publish(
    topic,
    out.map(({ dedupeKey: _key, ...l }) => ({ key: null, value: JSON.stringify(l) })),
  );
}
