/**
 * The one error family. Every error carries a stable `code`; validation-like errors also carry
 * `{ record, field, reason }` where `record` is a non-identifying reference (source, record_id,
 * line), `field` a JSON Pointer and `reason` a stable code such as `date_in_future`.
 * Messages never contain values from a record.
 */
export interface RecordReference {
  source?: string;
  recordId?: string;
  line?: number;
}

export interface ErrorDetail {
  record?: RecordReference;
  field?: string;
  reason: string;
}

export abstract class LinkageError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly detail: ErrorDetail,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends LinkageError {
  readonly code = 'validation_failed';
  constructor(
    detail: ErrorDetail,
    readonly problems: ErrorDetail[] = [detail],
  ) {
    super(describe('invalid record', detail), detail);
  }
}

export class ConcurrencyError extends LinkageError {
  readonly code = 'concurrency_conflict';
  constructor(
    readonly streamId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`stream ${streamId}: expected version ${expected}, found ${actual}`, {
      reason: 'wrong_expected_version',
    });
  }
}

export class NotFoundError extends LinkageError {
  readonly code = 'not_found';
  constructor(what: string) {
    super(`${what} not found`, { reason: 'not_found' });
  }
}

export class AccessDeniedError extends LinkageError {
  readonly code: 'unauthenticated' | 'forbidden';
  constructor(reason: string, kind: 'unauthenticated' | 'forbidden' = 'forbidden') {
    super(`access denied: ${reason}`, { reason });
    this.code = kind;
  }
}

export class ConfigurationError extends LinkageError {
  readonly code = 'configuration_error';
  constructor(message: string, reason: string) {
    super(message, { reason });
  }
}

function describe(prefix: string, detail: ErrorDetail): string {
  const where = [
    detail.record?.source,
    detail.record?.recordId && `record ${detail.record.recordId}`,
    detail.record?.line !== undefined && `line ${detail.record.line}`,
  ]
    .filter(Boolean)
    .join(' ');
  return `${prefix}${where ? ` (${where})` : ''}: ${detail.field ?? '/'} ${detail.reason}`;
}

/**
 * An input that cannot be read as a whole (a missing file, an unknown format, a CSV header that
 * lacks the required fields). The message names the file and the problem, never a value from it.
 */
export class InputError extends LinkageError {
  readonly code = 'invalid_input';
  constructor(message: string, reason: string) {
    super(message, { reason });
  }
}
