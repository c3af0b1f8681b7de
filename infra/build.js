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
      '--ignore',
      'apps/web/client/**',
      '--config-file',
      '.swcrc',
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) throw new Error(`swc build failed with status ${result.status}`);
  buildWebPage();
  fs.writeFileSync(stamp, new Date().toISOString());
}

// The web page (apps/web): its browser sources as they are (plain ES modules, no bundler
// needed), ECharts from node_modules and the public LSOA boundaries, into one folder that the
// analytics app serves. Nothing is fetched from elsewhere at run time.
function buildWebPage() {
  const out = path.join(dist, 'apps', 'web', 'public');
  fs.mkdirSync(out, { recursive: true });
  const client = path.join(root, 'apps', 'web', 'client');
  for (const name of fs.readdirSync(client)) {
    if (!name.endsWith('.spec.ts')) fs.copyFileSync(path.join(client, name), path.join(out, name));
  }
  fs.copyFileSync(
    require.resolve('echarts/dist/echarts.min.js', { paths: [root] }),
    path.join(out, 'echarts.min.js'),
  );
  fs.copyFileSync(
    path.join(root, 'libs', 'reference', 'data', 'lcr_lsoa2011_boundaries.geojson'),
    path.join(out, 'lcr_lsoa2011_boundaries.geojson'),
  );
}

function ensureBuilt() {
  if (isStale()) build();
  return dist;
}

module.exports = { build, ensureBuilt };
if (require.main === module) build();
