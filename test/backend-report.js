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
module.exports = BackendReport;
