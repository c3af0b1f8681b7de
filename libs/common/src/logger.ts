import pino, { Logger } from 'pino';

/**
 * Structured JSON logs on stderr (stdout is for command output such as `--json`).
 * Log event types, counts, durations, positions and error codes: never payloads or identifiers.
 * `redact` is only a backstop for fields that should never have been logged.
 */
export function createLogger(app: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level: process.env.LOG_LEVEL ?? 'info',
      base: { app, ...bindings },
      redact: {
        paths: [
          '*.nhs_number',
          '*.given_name',
          '*.family_name',
          '*.date_of_birth',
          '*.postcode',
          '*.*.nhs_number',
          '*.*.postcode',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    logDestination(),
  );
}

/** stderr, or the file a test run names (test/quiet-logs.js) so logs do not flood its output. */
function logDestination() {
  const file = (globalThis as { linkageLogFile?: string }).linkageLogFile;
  return file
    ? pino.destination({ dest: file, sync: true, append: true, mkdir: true })
    : pino.destination({ fd: 2, sync: true });
}

export type { Logger };
