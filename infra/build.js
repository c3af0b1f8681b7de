'use strict';
// Compiles apps/, libs/ and contracts/ to dist/ with swc (type checking is `npm run typecheck`).
// Data files (CSV, JSON) are copied beside the code so that runtime paths match the sources.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
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
  return isStaleAt({ root, dist, sourceDirs });
}

function isStaleAt({ root, dist, sourceDirs }) {
  const stamp = path.join(dist, '.build-stamp');
  if (!fs.existsSync(stamp)) return true;
  const built = fs.statSync(stamp).mtimeMs;
  return sourceDirs.some(
    (d) => fs.existsSync(path.join(root, d)) && newestSourceMtime(path.join(root, d)) > built,
  );
}

// Builds into a fresh folder beside dist and swaps it in whole, under a lock, so that two
// `linkage` processes starting at once never leave a half-built dist behind a fresh stamp.
function build() {
  buildLocked({ root, dist, compile: compileInto });
}

function compileInto(out) {
  const swc = path.join(root, 'node_modules', '.bin', 'swc');
  const dirs = sourceDirs.filter((d) => fs.existsSync(path.join(root, d)));
  const result = spawnSync(
    swc,
    [
      ...dirs,
      '-d',
      path.relative(root, out),
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
  buildWebPage(out);
}

/**
 * Runs `compile(out)` into a new folder and swaps it in as `dist`, holding `dist.lock` (created
 * with `wx`, so one holder at a time; a lock left by a process that died is taken over). The
 * stamp is written into the new folder last, only after `compile` succeeded; a failed build
 * leaves the previous dist as it was. With `onlyIfStale`, a build finished by another process
 * while this one waited is not done again.
 */
function buildLocked({ root, dist, compile, onlyIfStale, sourceDirs: dirs = sourceDirs }) {
  const release = acquireLock(`${dist}.lock`);
  try {
    if (onlyIfStale && !isStaleAt({ root, dist, sourceDirs: dirs })) return;
    const out = `${dist}.building-${process.pid}`;
    fs.rmSync(out, { recursive: true, force: true });
    try {
      compile(out);
      fs.writeFileSync(path.join(out, '.build-stamp'), new Date().toISOString());
      const old = `${dist}.old-${process.pid}`;
      fs.rmSync(old, { recursive: true, force: true });
      if (fs.existsSync(dist)) fs.renameSync(dist, old);
      fs.renameSync(out, dist);
      fs.rmSync(old, { recursive: true, force: true });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  } finally {
    release();
  }
}

const LOCK_WAIT_MS = 10 * 60 * 1000;

/** Takes the lock file (waiting for its holder, or taking it over from a dead one); returns its release. */
function acquireLock(lockPath) {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    if (holderIsGone(lockPath)) {
      // Renamed away first, so that of two processes seeing the same dead holder only one removes it.
      const taken = `${lockPath}.dead-${process.pid}`;
      try {
        fs.renameSync(lockPath, taken);
        fs.rmSync(taken, { force: true });
      } catch {
        // Another process took it over first.
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`waited too long for the build lock ${lockPath}`);
    sleepSync(100);
  }
}

function holderIsGone(lockPath) {
  let pid;
  try {
    pid = Number(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    return false; // released meanwhile: try again
  }
  // Written right after creation: an empty file is a holder still writing its pid.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// The web page (apps/web): its browser sources as they are (plain ES modules, no bundler
// needed), ECharts from node_modules and the public LSOA boundaries, into one folder that the
// analytics app serves. Nothing is fetched from elsewhere at run time.
function buildWebPage(into) {
  const out = path.join(into, 'apps', 'web', 'public');
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
  // Checked again under the lock: another process may have built it while this one waited.
  if (isStale()) buildLocked({ root, dist, compile: compileInto, onlyIfStale: true });
  return dist;
}

module.exports = { build, ensureBuilt, buildLocked, isStaleAt };
if (require.main === module) build();
