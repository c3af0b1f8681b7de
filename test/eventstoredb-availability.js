'use strict';
// Whether an EventStoreDB can be reached for the adapter's contract suite: EVENTSTORE_URL, or a
// Docker engine for testcontainers. Asked once by jest.config.js (to leave the suite out of a
// run that cannot exercise it, rather than count a placeholder as passed) and by global-setup.js
// (to record it as NOT RUN for the backend report).
const { execFileSync } = require('node:child_process');

let cached;

/** @returns {{ available: boolean, detail: string }} */
function eventStoreDbAvailability() {
  if (cached) return cached;
  if (process.env.EVENTSTORE_URL) cached = { available: true, detail: 'EVENTSTORE_URL' };
  else {
    try {
      execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
        timeout: 3000,
        stdio: 'pipe',
      });
      cached = { available: true, detail: 'Docker engine (testcontainers)' };
    } catch {
      cached = {
        available: false,
        detail:
          'EVENTSTORE_URL is unset and no Docker engine answers, so its contract suite was left out of this run',
      };
    }
  }
  return cached;
}

module.exports = {
  eventStoreDbAvailability,
  EVENTSTORE_SPEC: 'eventstoredb-event-store\\.int\\.spec\\.ts$',
};
