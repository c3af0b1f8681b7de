import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from './logger';

/**
 * Inside jest, services log to the file test/quiet-logs.js names instead of spilling pino JSON
 * through the test output; the identifiers that should never have been logged are censored.
 */
describe('createLogger', () => {
  const holder = globalThis as { linkageLogFile?: string };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-logger-'));
  const file = path.join(dir, 'nested', 'worker.ndjson');
  let previous: string | undefined;
  let stderr = '';
  let write: typeof process.stderr.write;

  beforeEach(() => {
    previous = holder.linkageLogFile;
    holder.linkageLogFile = file;
    stderr = '';
    write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    process.stderr.write = write;
    holder.linkageLogFile = previous;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes to the named log file (made when missing), not to stderr', () => {
    createLogger('quiet-test').info({ applied: 3 }, 'caught up');
    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ app: 'quiet-test', applied: 3, msg: 'caught up' });
    expect(stderr).toBe('');
  });

  it('censors identifiers that reach a log by mistake', () => {
    createLogger('redact-test').warn(
      { record: { nhs_number: '9994765914', postcode: 'L9 2AF', source: 'cipha' } },
      'rejected',
    );
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('9994765914');
    expect(text).not.toContain('L9 2AF');
    const last = JSON.parse(text.trim().split('\n').at(-1)!);
    expect(last.record).toEqual({
      nhs_number: '[redacted]',
      postcode: '[redacted]',
      source: 'cipha',
    });
  });
});
