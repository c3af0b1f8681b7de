import { parentPort, workerData } from 'node:worker_threads';
import { linkageSeconds, Pseudonymiser, type PseudonymisationKey } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { ingestRecord } from './ingest-record';
import { edgeOutcomeOf, type EdgeOutcome } from './edge-outcome';
import type { EdgeChunk } from './edge-threads';

/**
 * One edge thread: the same `ingestRecord` as the in-thread edge, on chunks of records sent by
 * `startEdgeThreads`. Identifiers arrive here and leave only as pseudonyms (in the event) or as a
 * rejection that names record, field and reason.
 */
const key = (workerData as { key: PseudonymisationKey }).key;
const pseudonymiser = new Pseudonymiser({
  key: Buffer.from(key.key),
  keyId: key.keyId,
  ...(key.encodingKey ? { encodingKey: Buffer.from(key.encodingKey) } : {}),
});
const postcodes = loadPostcodeLookup();

/** Seconds of Bloom-filter encoding so far in this thread (its own metrics registry). */
async function encodeSeconds(): Promise<number> {
  const { values } = await linkageSeconds.get();
  return values.find((v) => v.labels.stage === 'encode')?.value ?? 0;
}
let encodedBefore = 0;

parentPort!.on('message', async (chunk: EdgeChunk) => {
  const outcomes: EdgeOutcome[] = [];
  try {
    const now = new Date(chunk.now);
    for (const record of chunk.records) {
      const result = ingestRecord(chunk.source, record.input, {
        pseudonymiser,
        postcodes,
        ...(chunk.ingestRunId !== undefined ? { ingestRunId: chunk.ingestRunId } : {}),
        now,
        receivedAt: now,
        line: record.line,
      });
      outcomes.push(edgeOutcomeOf(result));
    }
    // The encoding time is counted where the process's metrics are read: the main thread.
    const encoded = await encodeSeconds();
    parentPort!.postMessage({ id: chunk.id, outcomes, encodeSeconds: encoded - encodedBefore });
    encodedBefore = encoded;
  } catch (error) {
    // A fault in the edge itself (not a bad record: those are rejections). Class only: a
    // message could quote a value.
    parentPort!.postMessage({ id: chunk.id, failed: (error as Error)?.name ?? 'Error' });
  }
});
