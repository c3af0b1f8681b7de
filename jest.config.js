// One jest run for every tier; the suffix names the tier (.unit / .int / .e2e).
const fs = require('node:fs');
const { eventStoreDbAvailability, EVENTSTORE_SPEC } = require('./test/eventstoredb-availability');
const swc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/contracts', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // Without a server the EventStoreDB suite is left out (and reported NOT RUN), never faked.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(eventStoreDbAvailability().available ? [] : [EVENTSTORE_SPEC]),
  ],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  moduleNameMapper: {
    '^@linkage/contracts$': '<rootDir>/contracts/src',
    '^@linkage/([a-z-]+)$': '<rootDir>/libs/$1/src',
  },
  globalSetup: '<rootDir>/test/global-setup.js',
  setupFiles: ['<rootDir>/test/quiet-logs.js'],
  setupFilesAfterEnv: ['<rootDir>/test/retry-integration.js'],
  // Generous: a loaded 2-core machine can slow an embedded-database start tenfold.
  testTimeout: 180_000,
  // No forceExit: the run ends by itself once every suite has closed what it opened. (The handle
  // that kept it alive was a Kafka admin reopened by a health check on a closed transport, three
  // broker sockets; the transport now refuses work after close.) The report's OPEN HANDLES line
  // names anything a suite leaves open.
  reporters: ['default', '<rootDir>/test/backend-report.js'],
};
