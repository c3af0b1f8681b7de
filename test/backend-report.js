'use strict';
// A jest reporter that says plainly which event-store backends the run exercised and which it
// did not (and why), from the records the contract suite writes (libs/testing backend-report).
const fs = require('node:fs');
const path = require('node:path');

class BackendReport {
  constructor() {
    this.flaky = [];
  }

  /** Tests that passed only on their retry (test/retry-integration.js): named, so they get fixed. */
  onTestResult(test, result) {
    for (const t of result.testResults) {
      if (t.status === 'passed' && (t.invocations ?? 1) > 1) {
        this.flaky.push(`${path.relative(process.cwd(), test.path)} › ${t.fullName}`);
      }
    }
  }

  onRunComplete() {
    if (this.flaky.length > 0) {
      process.stdout.write(
        `\nFLAKY (failed once, passed on the retry; fix these):\n${this.flaky
          .map((f) => `  ${f}`)
          .join('\n')}\n`,
      );
    } else {
      process.stdout.write('\nFLAKY: none (no test needed its retry)\n');
    }
    this.reportOpenHandles();
    const logs = path.join(require('node:os').tmpdir(), 'linkage-test-logs');
    if (fs.existsSync(logs)) process.stdout.write(`\nLogs of services run inside jest: ${logs}\n`);
    const dir = process.env.LINKAGE_BACKEND_REPORT_DIR;
    if (!dir || !fs.existsSync(dir)) return;
    const records = fs
      .readdirSync(dir)
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    if (records.length === 0) return;
    const lines = ['', 'Event-store backends:'];
    for (const r of records.sort((a, b) => a.backend.localeCompare(b.backend))) {
      lines.push(
        r.ran ? `  ${r.backend}: EXERCISED (${r.detail})` : `  ${r.backend}: NOT RUN (${r.detail})`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
}
/**
 * What still holds this process open once every suite has finished (run in band, as on a 2-core
 * machine, the suites' own sockets, servers and child processes show here): jest's timers and
 * this process's own stdio aside, each is something a suite did not close, and would keep jest
 * from exiting without forceExit.
 */
BackendReport.prototype.reportOpenHandles = function reportOpenHandles() {
  const stdio = new Set([process.stdin, process.stdout, process.stderr]);
  const counts = {};
  for (const handle of process._getActiveHandles()) {
    if (stdio.has(handle) || handle?.constructor?.name === 'Timeout') continue;
    const type = handle?.constructor?.name ?? 'unknown';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  const open = Object.entries(counts).map(([type, n]) => `${type} x${n}`);
  process.stdout.write(
    open.length === 0
      ? '\nOPEN HANDLES: none left by the suites (timers aside)\n'
      : `\nOPEN HANDLES left by the suites: ${open.join(', ')} (find them with --detectOpenHandles)\n`,
  );
};

module.exports = BackendReport;
