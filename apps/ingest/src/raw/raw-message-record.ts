import type { IncomingMessage } from '@linkage/transport';
import { decodeLine, inputLimits } from '../pipeline/input-limits';
import type { RawRecord } from '../pipeline/ingest-run';

/** A raw-topic message as a record: size and encoding checked, its position kept for dead letters. */
export function rawMessageRecord(m: IncomingMessage): RawRecord {
  const position = { topic: m.topic, partition: m.partition, offset: m.offset };
  if (m.value.length > inputLimits().maxLineBytes) {
    return { input: '', rejected: 'line_too_long', position };
  }
  const decoded = decodeLine(m.value);
  if (!decoded.ok) return { input: '', rejected: 'invalid_encoding', position };
  return { input: decoded.text, position };
}
