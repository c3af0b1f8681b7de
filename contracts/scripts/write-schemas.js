#!/usr/bin/env node
'use strict';
// Regenerates contracts/schemas/v1/*.schema.json from the TypeBox contracts (via the compiled
// dist/, rebuilt when stale). `contracts/src/schemas.unit.spec.ts` fails when they drift; it can
// also write them: `UPDATE_SCHEMAS=1 npm run jest -- contracts/src/schemas`.
const path = require('node:path');
const root = path.resolve(__dirname, '..', '..');
const dist = require(path.join(root, 'infra', 'build.js')).ensureBuilt();
require('tsconfig-paths').register({
  baseUrl: dist,
  paths: { '@linkage/contracts': ['contracts/src'], '@linkage/*': ['libs/*/src'] },
  addMatchAll: false,
});
const { writeSchemas } = require(path.join(dist, 'contracts', 'src'));
const written = writeSchemas(path.join(root, 'contracts', 'schemas', 'v1'));
process.stdout.write(`${written.length} schemas written to contracts/schemas/v1\n`);
