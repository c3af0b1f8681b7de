'use strict';
// Builds dist/ (end-to-end tests run the real `linkage` command) and prepares the place where
// suites record which event-store backends they exercised.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureBuilt } = require('../infra/build.js');
const { eventStoreDbAvailability } = require('./eventstoredb-availability');

module.exports = async (globalConfig) => {
  ensureBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-backends-'));
  process.env.LINKAGE_BACKEND_REPORT_DIR = dir;
  // Said when the run is the whole suite or touches the event store, where its absence matters.
  const pattern = globalConfig?.testPathPattern ?? '';
  const eventstoredb = eventStoreDbAvailability();
  if (!eventstoredb.available && (pattern === '' || /event-store|eventstoredb/.test(pattern))) {
    fs.writeFileSync(
      path.join(dir, 'eventstoredb.json'),
      JSON.stringify({ backend: 'eventstoredb', ran: false, detail: eventstoredb.detail }),
    );
  }
};
