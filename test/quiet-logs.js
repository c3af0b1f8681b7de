'use strict';
// Services run inside jest log to a file per worker instead of spilling pino JSON through the
// test output. A global, not an environment variable: the real `linkage` processes that tests
// spawn still log to their stderr, which those tests read (and scan for identifiers).
const os = require('node:os');
const path = require('node:path');

globalThis.linkageLogFile = path.join(
  os.tmpdir(),
  'linkage-test-logs',
  `worker-${process.env.JEST_WORKER_ID ?? '1'}.ndjson`,
);
