import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * What a test run says about the EventStoreDB suite: without a server it is left out (never a
 * placeholder counted as passed) and the report says NOT RUN, once, with the reason.
 */
const ROOT = path.resolve(__dirname, '..');

describe('test run: the EventStoreDB suite is run or plainly NOT RUN', () => {
  /** jest.config.js's ignore patterns, read in a fresh process with the given environment. */
  const ignoredWith = (env: NodeJS.ProcessEnv): string[] =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '-e',
          "process.stdout.write(JSON.stringify(require('./jest.config.js').testPathIgnorePatterns))",
        ],
        // No PATH: no `docker` to find, so only EVENTSTORE_URL can make the server available.
        { cwd: ROOT, env: { ...env, PATH: '' }, encoding: 'utf8' },
      ),
    );

  it('leaves the suite out without EVENTSTORE_URL (and no Docker engine)', () => {
    const env = { ...process.env };
    delete env.EVENTSTORE_URL;
    expect(ignoredWith(env)).toContain('eventstoredb-event-store\\.int\\.spec\\.ts$');
  });

  it('runs the suite when EVENTSTORE_URL is set', () => {
    expect(
      ignoredWith({ ...process.env, EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false' }),
    ).not.toContain('eventstoredb-event-store\\.int\\.spec\\.ts$');
  });

  it('reports a backend NOT RUN once, with its reason, and one that ran as EXERCISED', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-backend-report-'));
    const previous = process.env.LINKAGE_BACKEND_REPORT_DIR;
    const write = process.stdout.write;
    let out = '';
    try {
      fs.writeFileSync(
        path.join(dir, 'eventstoredb.json'),
        JSON.stringify({ backend: 'eventstoredb', ran: false, detail: 'EVENTSTORE_URL is unset' }),
      );
      fs.writeFileSync(
        path.join(dir, 'postgresql.json'),
        JSON.stringify({ backend: 'postgresql', ran: true, detail: 'DATABASE_URL' }),
      );
      process.env.LINKAGE_BACKEND_REPORT_DIR = dir;
      process.stdout.write = ((chunk: string) => {
        out += chunk;
        return true;
      }) as typeof process.stdout.write;
      const BackendReport = require('./backend-report.js');
      new BackendReport().onRunComplete();
    } finally {
      process.stdout.write = write;
      if (previous === undefined) delete process.env.LINKAGE_BACKEND_REPORT_DIR;
      else process.env.LINKAGE_BACKEND_REPORT_DIR = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(out).toContain('  eventstoredb: NOT RUN (EVENTSTORE_URL is unset)\n');
    expect(out).toContain('  postgresql: EXERCISED (DATABASE_URL)\n');
    expect(out.match(/not run/gi)).toHaveLength(1);
  });
});
