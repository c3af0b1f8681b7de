import { createHash } from 'node:crypto';
import { openEventStore, type StreamBatch } from '@linkage/event-store';
import { rowOf, type BenchRow } from './bench-report';
import {
  secondsSince,
  type BenchContext,
  type BenchDatabase,
  type BenchScenario,
} from './bench-context';

const BATCH = 1000;
const EVENTS_PER_STREAM_IN_BATCH = 4;
const EVENTS_PER_STREAM = 20;

function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * `total` canonical-shaped events as `appendMany` calls of 1000 events: each call spans 250
 * person streams (4 events each), `total / 20` streams in all, as the event writer appends an
 * ingest batch.
 */
export function appendCalls(total: number, runTag: string): StreamBatch[][] {
  const streams = Math.max(1, Math.floor(total / EVENTS_PER_STREAM));
  const calls: StreamBatch[][] = [];
  for (let start = 0; start < total; start += BATCH) {
    const byStream = new Map<string, StreamBatch>();
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const stream = Math.floor(i / EVENTS_PER_STREAM_IN_BATCH) % streams;
      const streamId = `person-bench${stream.toString(16).padStart(8, '0')}`;
      let batch = byStream.get(streamId);
      if (!batch) byStream.set(streamId, (batch = { streamId, events: [] }));
      batch.events.push({
        eventId: uuidOf(`${runTag}:${i}`),
        type: 'GpAppointmentAttended',
        schemaVersion: 1,
        data: {
          source: 'cipha',
          recordId: `cp-${i}`,
          recordType: 'gp_appointment',
          occurredAt: new Date(Date.UTC(2022, 0, 1) + i * 60_000).toISOString(),
          personId: streamId.slice('person-'.length),
          linkKey: null,
          keyId: 'bench',
          practiceCode: 'N82001',
          mode: 'face_to_face',
        },
        metadata: { ingestRunId: runTag, line: i + 1, receivedAt: '2025-01-01T00:00:00.000Z' },
      });
    }
    calls.push([...byStream.values()]);
  }
  return calls;
}

async function measure(
  target: BenchDatabase,
  total: number,
): Promise<{ seconds: number; appended: number }> {
  const store = await openEventStore({ db: target.db });
  try {
    const calls = appendCalls(total, target.kind);
    let appended = 0;
    const start = process.hrtime.bigint();
    for (const call of calls) appended += (await store.appendMany(call)).appended;
    return { seconds: secondsSince(start), appended };
  } finally {
    await store.close();
  }
}

async function onBackend(
  name: string,
  open: () => Promise<BenchDatabase | undefined>,
  total: number,
): Promise<BenchRow> {
  const target = await open();
  if (!target) {
    return rowOf('event-store-append', name, 0, 'events', 0, {
      note: 'skipped: DATABASE_URL not set',
    });
  }
  try {
    const { seconds, appended } = await measure(target, total);
    return rowOf('event-store-append', name, appended, 'events', seconds, {
      extra: { batch: BATCH, streams: Math.max(1, Math.floor(total / EVENTS_PER_STREAM)) },
    });
  } finally {
    await target.dispose();
  }
}

/** `appendMany` throughput on the real PostgreSQL (fresh database) and on embedded PGlite. */
export const eventStoreAppendBench: BenchScenario = {
  name: 'event-store-append',
  description: 'appendMany throughput, batches of 1000 across many streams: PostgreSQL and PGlite',
  sizeKind: 'count',
  defaultSize: 100_000,
  sizeMeaning: 'events per backend',
  async run(size: number, ctx: BenchContext): Promise<BenchRow[]> {
    return [
      await onBackend('postgresql', () => ctx.freshPostgresql(), size),
      await onBackend('pglite', () => ctx.freshPglite(), size),
    ];
  },
};
