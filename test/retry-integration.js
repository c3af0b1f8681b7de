'use strict';
/* global expect, jest -- a jest setup file: both are globals there */
// Integration and end-to-end suites run against a real broker, database and browser on a shared
// 2-core machine; under load a timing assumption can fail once. Such a test gets ONE more try,
// its first failure is printed, and the run's summary lists it as FLAKY (test/backend-report.js)
// so it is seen and fixed, not hidden. Unit tests are pure and never retried.
const testPath = expect.getState().testPath ?? '';
if (/\.(int|e2e)\.spec\.ts$/.test(testPath)) {
  jest.retryTimes(1, { logErrorsBeforeRetry: true });
}
