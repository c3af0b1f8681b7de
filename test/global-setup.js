'use strict';
// Builds dist/ (end-to-end tests run the real `linkage` command) and prepares the place where
// suites record which event-store backends they exercised.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureBuilt } = require('../infra/build.js');

module.exports = async () => {
  ensureBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-backends-'));
  process.env.LINKAGE_BACKEND_REPORT_DIR = dir;
};
