#!/usr/bin/env node
'use strict';
// The `linkage` command. Runs the compiled CLI from dist/, rebuilding first when a source file
// is newer than the last build (so a checkout, `npm ci` and a code edit all just work).
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const { ensureBuilt } = require(path.join(root, 'infra', 'build.js'));
const dist = ensureBuilt();
require('tsconfig-paths').register({
  baseUrl: dist,
  paths: { '@linkage/contracts': ['contracts/src'], '@linkage/*': ['libs/*/src'] },
  addMatchAll: false,
});
process.env.LINKAGE_CLI_MAIN = '1';
require(path.join(dist, 'apps', 'cli', 'src', 'main.js'));
