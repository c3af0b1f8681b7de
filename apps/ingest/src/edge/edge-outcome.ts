import type { IngestResult, Rejection } from './ingest-record';

/** What the edge made of one record: a canonical event ready to publish, or a rejection. */
export type EdgeOutcome =
  | { ok: true; key: string; value: string; warnings?: { field: string; reason: string }[] }
  | { ok: false; rejection: Rejection };

/** The message an accepted record becomes (keyed by person, else link key, else event id). */
export function edgeOutcomeOf(result: IngestResult): EdgeOutcome {
  if (!result.ok) return { ok: false, rejection: result.rejection };
  const e = result.event;
  const warnings = e.metadata.warnings;
  return {
    ok: true,
    key: e.data.personId ?? e.data.linkKey ?? e.eventId,
    value: JSON.stringify(e),
    ...(warnings ? { warnings } : {}),
  };
}
