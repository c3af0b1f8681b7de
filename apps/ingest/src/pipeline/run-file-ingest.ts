import * as fs from 'node:fs';
import type { Source } from '@linkage/contracts';
import type { EventStore } from '@linkage/event-store';
import { createProgress, type Progress } from '@linkage/observability';
import { startEventWriter } from '../../../event-writer/src';
import { ingestRecords, type IngestDependencies, type RawRecord } from './ingest-run';
import type { IngestSummary } from './ingest-summary';
import { checkInputFiles, unreadableInput } from './input-files';
import { recordsOf, type InputFormat } from './record-readers';

export interface FileIngestOptions extends IngestDependencies {
  source: Source;
  files: string[];
  /** Default: by extension (`.csv`; `.ndjson`, `.jsonl`, `.json`); any other is refused. */
  format?: InputFormat;
  /**
   * Run an event writer inside this process for the run: needed with the in-process transport
   * (the default then); with Kafka the writer normally runs as its own service.
   */
  embeddedWriter?: boolean;
  /** The store the embedded writer appends to (required with `embeddedWriter`). */
  store?: EventStore;
  /**
   * Progress by bytes read: bar on a TTY, lines otherwise (default on); or a `Progress` to report
   * to (its total is set to the files' size).
   */
  progress?: boolean | Progress;
}

/**
 * Ingests files (one ingest run for all of them), streaming each, and returns what the store
 * did. Used by `linkage ingest`, the demo and the benchmark.
 */
export async function runFileIngest(options: FileIngestOptions): Promise<IngestSummary> {
  const embedded = options.embeddedWriter ?? options.transport.kind === 'in-process';
  if (embedded && !options.store) {
    throw new Error('runFileIngest: an embedded event writer needs `store`');
  }
  const inputs = checkInputFiles(options.files, options.format);
  const sizes = inputs.map((f) => f.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const progress =
    options.progress === false
      ? undefined
      : typeof options.progress === 'object'
        ? options.progress
        : createProgress({ task: `ingest ${options.source}`, total, unit: 'bytes' });
  if (typeof options.progress === 'object') options.progress.setTotal(total);
  // Bytes of finished files plus the bytes read of the current one; a finished file is counted
  // once (`current` is cleared as its size moves into `bytesBefore`).
  let bytesBefore = 0;
  let current: fs.ReadStream | undefined;
  const bytesRead = () => bytesBefore + (current?.bytesRead ?? 0);
  async function* allRecords(): AsyncGenerator<RawRecord> {
    for (const [i, { file, format }] of inputs.entries()) {
      const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });
      current = stream;
      try {
        yield* recordsOf(stream, format);
      } catch (error) {
        throw unreadableInput(file, error);
      } finally {
        current = undefined;
        stream.destroy();
      }
      bytesBefore += sizes[i];
    }
  }
  const writer = embedded
    ? await startEventWriter({
        transport: options.transport,
        store: options.store!,
        db: options.db,
        logger: options.logger,
        topicPrefix: options.topicPrefix,
      })
    : undefined;
  try {
    const summary = await ingestRecords(allRecords(), options, {
      source: options.source,
      origin: 'file',
      onBatch: (records) => progress?.update(Math.min(bytesRead(), total), { records }),
    });
    progress?.update(bytesRead(), { records: summary.records });
    return summary;
  } finally {
    progress?.stop();
    await writer?.stop();
  }
}
