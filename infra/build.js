'use strict';
// Compiles apps/, libs/ and contracts/ to dist/ with swc (type checking is `npm run typecheck`).
// Data files (CSV, JSON) are copied beside the code so that runtime paths match the sources.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const sourceDirs = ['apps', 'libs', 'contracts'];

function newestSourceMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(full));
    else newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isStale() {
  if (!fs.existsSync(stamp)) return true;
  const built = fs.statSync(stamp).mtimeMs;
  return sourceDirs.some(
    (d) => fs.existsSync(path.join(root, d)) && newestSourceMtime(path.join(root, d)) > built,
  );
}

function build() {
  fs.rmSync(dist, { recursive: true, force: true });
  const swc = path.join(root, 'node_modules', '.bin', 'swc');
  const dirs = sourceDirs.filter((d) => fs.existsSync(path.join(root, d)));
  const result = spawnSync(
    swc,
    [
      ...dirs,
      '-d',
      'dist',
      '--copy-files',
      '--quiet',
      '--ignore',
      '**/*.spec.ts',
      '--config-file',
      '.swcrc',
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) throw new Error(`swc build failed with status ${result.status}`);
  fs.writeFileSync(stamp, new Date().toISOString());
}

function ensureBuilt() {
  if (isStale()) build();
  return dist;
}

module.exports = { build, ensureBuilt };
if (require.main === module) build();
