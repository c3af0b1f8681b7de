import { randomUUID } from 'node:crypto';
import type { Logger } from '@linkage/common';
import type { Source } from '@linkage/contracts';
import type { Database, Sql } from '@linkage/database';
import { counter } from '@linkage/observability';
import type { Pseudonymiser } from '@linkage/pseudonymisation';
import type { PostcodeLookup } from '@linkage/reference';
import { TOPICS, topicName, type OutgoingMessage, type Transport } from '@linkage/transport';
import { ingestRecord, type Rejection } from '../edge';
import { ensureIngestSchema } from '../storage/ingest-schema';
import type { IngestSummary } from './ingest-summary';

/** One raw record as read from a file, a request body or a raw topic. */
export interface RawRecord {
  /** An NDJSON line, or an object (a CSV row). */
  input: unknown;
  /** 1-based line in its file or body. */
  line?: number;
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
  /** How long to wait for the event writer to store what was accepted (default 10 min). */
  waitTimeoutMs?: number;
}

export interface IngestRunOptions {
  source: Source;
  origin: 'file' | 'http' | 'raw-topic';
  /** Called after each batch is published, with records read so far. */
  onBatch?: (recordsRead: number) => void;
}

/** Records between turns of the event loop (see the read loop). */
const YIELD_EVERY = 128;

const records = counter('linkage_ingest_records_total', 'Records read by ingest', [
  'source',
  'outcome',
]);

/**
 * Streams records through the edge (validate + pseudonymise), publishes canonical events keyed
 * by person (or link key) and dead letters in batches, awaiting each publish before reading on
 * (backpressure), then waits until the event writer has stored the run and summarises what the
 * store did. Nothing identifying leaves this function: events are pseudonymised, dead letters
 * carry only record id, line, field and reason.
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
  let events: OutgoingMessage[] = [];
  let rejections: Rejection[] = [];

  const flush = async () => {
    if (events.length === 0 && rejections.length === 0) return;
    const out = events;
    const dead = rejections;
    events = [];
    rejections = [];
    await Promise.all([
      deps.transport.publish(canonicalTopic, out),
      publishDeadLetters(deps.transport, sql, deadLetterTopic, dead, ingestRunId),
    ]);
    published += out.length;
    records.inc({ source, outcome: 'published' }, out.length);
    records.inc({ source, outcome: 'rejected' }, dead.length);
    options.onBatch?.(read);
  };

  // Data-quality warnings of kept records, by field and reason (e.g. `/nhs_number:invalid_nhs_number`).
  const warnings: Record<string, number> = {};
  let ctx = {
    pseudonymiser: deps.pseudonymiser,
    postcodes: deps.postcodes,
    ingestRunId,
    now: now(),
    receivedAt: now(),
  };
  for await (const item of items) {
    read += 1;
    // Let I/O callbacks run now and then: the loop otherwise only yields to microtasks, and a
    // writer in this process (its database replies) would wait for a whole batch of edge work.
    if (read % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    const result = ingestRecord(source, item.input, { ...ctx, line: item.line });
    if (result.ok) {
      const e = result.event;
      for (const w of e.metadata.warnings ?? []) {
        const k = `${w.field}:${w.reason}`;
        warnings[k] = (warnings[k] ?? 0) + 1;
      }
      events.push({
        key: e.data.personId ?? e.data.linkKey ?? e.eventId,
        value: JSON.stringify(e),
      });
    } else {
      rejections.push(result.rejection);
      rejectedByReason[result.rejection.reason] =
        (rejectedByReason[result.rejection.reason] ?? 0) + 1;
    }
    if (events.length + rejections.length >= batchSize) {
      await flush();
      const t = now();
      ctx = { ...ctx, now: t, receivedAt: t };
    }
  }
  await flush();
  const rejected = read - published;
  await sql`
    update ingest.ingest_runs
    set records = ${read}, rejected = ${rejected}, published = ${published}, status = 'published'
    where ingest_run_id = ${ingestRunId}`;
  log.info({ records: read, published, rejected }, 'ingest run published; waiting for the store');

  const stored = await waitUntilStored(sql, ingestRunId, published, deps.waitTimeoutMs ?? 600_000);
  const linkage = await sql<{ linkage: string; n: bigint }[]>`
    select linkage, count(*) as n from ingest.linkage_index
    where ingest_run_id = ${ingestRunId} group by linkage`;
  const count = (l: string) => Number(linkage.find((r) => r.linkage === l)?.n ?? 0);
  await sql`
    update ingest.ingest_runs set status = 'completed', finished_at = now()
    where ingest_run_id = ${ingestRunId}`;
  await sql`delete from ingest.run_progress where ingest_run_id = ${ingestRunId}`;
  const summary: IngestSummary = {
    ingestRunId,
    source,
    records: read,
    accepted: stored.accepted,
    duplicates: stored.duplicates,
    rejected,
    rejectedByReason,
    warnings,
    linked: count('nhs_number') + count('link_key') + count('fuzzy') + count('clerical'),
    unlinked: count('unlinked'),
    durationMs: Date.now() - started,
  };
  log.info({ ...summary, rejectedByReason: undefined }, 'ingest run completed');
  return summary;
}

async function publishDeadLetters(
  transport: Transport,
  sql: Sql,
  topic: string,
  rejections: Rejection[],
  ingestRunId: string,
): Promise<void> {
  if (rejections.length === 0) return;
  // Redacted by construction: a rejection names the record, field and reason, never a value.
  const letters = rejections.map((r) => ({
    source: r.source,
    recordId: r.recordId ?? null,
    line: r.line ?? null,
    field: r.field,
    reason: r.reason,
    ingestRunId,
  }));
  await Promise.all([
    transport.publish(
      topic,
      letters.map((l) => ({ key: null, value: JSON.stringify(l) })),
    ),
    sql`
      insert into ingest.dead_letters (source, record_id, line, field, reason, ingest_run_id)
      select source, "recordId", line, field, reason, "ingestRunId"
      from jsonb_to_recordset(${JSON.stringify(letters)}::text::jsonb) as x(
        source text, "recordId" text, line integer, field text, reason text, "ingestRunId" text)`,
  ]);
}

/** Polls the run's row until the event writer has processed everything it published. */
async function waitUntilStored(
  sql: Sql,
  ingestRunId: string,
  published: number,
  timeoutMs: number,
): Promise<{ accepted: number; duplicates: number }> {
  const deadline = Date.now() + timeoutMs;
  let interval = 20;
  for (;;) {
    const [row] = await sql<{ processed: bigint; accepted: bigint; duplicates: bigint }[]>`
      select processed, accepted, duplicates from ingest.ingest_runs where ingest_run_id = ${ingestRunId}`;
    if (row && Number(row.processed) >= published) {
      return { accepted: Number(row.accepted), duplicates: Number(row.duplicates) };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `ingest run ${ingestRunId}: the event writer stored ${row ? Number(row.processed) : 0} of ` +
          `${published} events within ${Math.round(timeoutMs / 1000)} s; is it running ` +
          '(`linkage serve --services event-writer`)?',
      );
    }
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(250, interval * 2);
  }
}
