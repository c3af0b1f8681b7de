import { LinkageError } from '@linkage/common';
import type { IngestSummary } from './ingest-summary';

/** Why a run ended without everything it accepted being stored (stable codes). */
export type IngestFailure =
  | 'data_loss'
  | 'aborted'
  | 'store_timeout'
  | 'body_too_large'
  | 'invalid_encoding'
  | 'line_too_long'
  | 'ingest_failed';

/**
 * A run that ended `failed` or `aborted`. Carries the run's accounting as it stands (what the
 * store actually holds), so the HTTP reply and `linkage ingest` report it and never more.
 */
export class IngestRunFailedError extends LinkageError {
  readonly code: IngestFailure;
  constructor(
    reason: IngestFailure,
    readonly summary: IngestSummary,
  ) {
    super(
      `ingest run ${summary.ingestRunId} ${summary.status}: ${reason} ` +
        `(${summary.records} read, ${summary.accepted + summary.duplicates} of ` +
        `${summary.published} published events stored)`,
      { reason },
    );
    this.code = reason;
  }
}
