import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BUILD_JS = path.join(__dirname, '..', 'infra', 'build.js');
const FILES = 12;

/**
 * A `linkage` process that finds dist stale rebuilds it (infra/build.js `ensureBuilt`). These
 * tests run that locked build (`buildLocked`, with `onlyIfStale` as `ensureBuilt` calls it) in
 * real child processes at once, on a tiny fake compile step that writes its files one by one
 * (the real swc build takes a minute), and check what they leave behind.
 */
describe('the build of dist under concurrent linkage processes', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-build-lock-'));
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(path.join(root, 'src', 'main.ts'), 'export {};\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const dist = () => path.join(root, 'dist');
  const compiles = () =>
    fs.existsSync(path.join(root, 'compiles.log'))
      ? fs.readFileSync(path.join(root, 'compiles.log'), 'utf8').trim().split('\n')
      : [];

  /**
   * A child process that waits for the `go` file, then builds. The fake compile logs itself,
   * writes FILES files with a pause between each (so two unlocked builds would interleave), and
   * the entry point last; with `fail`, it throws halfway.
   */
  function builder(name: string, options: { fail?: boolean } = {}) {
    const script = `
      const fs = require('node:fs');
      const path = require('node:path');
      const { buildLocked } = require(${JSON.stringify(BUILD_JS)});
      const root = ${JSON.stringify(root)};
      const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      while (!fs.existsSync(path.join(root, 'go'))) pause();
      buildLocked({
        root,
        dist: path.join(root, 'dist'),
        sourceDirs: ['src'],
        onlyIfStale: true,
        compile(out) {
          fs.appendFileSync(path.join(root, 'compiles.log'), ${JSON.stringify(name)} + '\\n');
          fs.mkdirSync(out, { recursive: true });
          for (let i = 0; i < ${FILES}; i++) {
            if (${Boolean(options.fail)} && i === ${FILES / 2}) throw new Error('compile failed');
            fs.writeFileSync(path.join(out, 'part-' + i + '.js'), 'module.exports = ' + i + ';');
            pause();
          }
          fs.writeFileSync(path.join(out, 'main.js'), 'module.exports = "built by ${name}";');
        },
      });
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise<{ code: number | null; stderr: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stderr })),
    );
  }

  /** dist is whole: every part, the entry point and the stamp; nothing of a build left beside it. */
  function expectWholeDist() {
    for (let i = 0; i < FILES; i++)
      expect(fs.existsSync(path.join(dist(), `part-${i}.js`))).toBe(true);
    expect(fs.readFileSync(path.join(dist(), 'main.js'), 'utf8')).toMatch(/built by /);
    expect(fs.existsSync(path.join(dist(), '.build-stamp'))).toBe(true);
    expect(
      fs
        .readdirSync(root)
        .filter((n) => n.startsWith('dist'))
        .sort(),
    ).toEqual(['dist']);
  }

  it('two processes building at once leave one whole dist, compiled once (the other waits, then finds it fresh)', async () => {
    const running = [builder('first'), builder('second')];
    fs.writeFileSync(path.join(root, 'go'), '');
    const results = await Promise.all(running);
    expect(results).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);
    expectWholeDist();
    expect(compiles()).toHaveLength(1);
    expect(fs.readFileSync(path.join(dist(), 'main.js'), 'utf8')).toBe(
      `module.exports = "built by ${compiles()[0]}";`,
    );
  }, 60_000);

  it('a failed build leaves the previous dist and stamp as they were, and lets the next build in', async () => {
    fs.writeFileSync(path.join(root, 'go'), '');
    expect((await builder('good')).code).toBe(0);
    const stampBefore = fs.readFileSync(path.join(dist(), '.build-stamp'), 'utf8');
    // A source edit makes dist stale; the rebuild fails halfway.
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(path.join(root, 'src', 'main.ts'), later, later);
    const failed = await builder('broken', { fail: true });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('compile failed');
    expectWholeDist();
    expect(fs.readFileSync(path.join(dist(), '.build-stamp'), 'utf8')).toBe(stampBefore);
    expect(fs.readFileSync(path.join(dist(), 'main.js'), 'utf8')).toBe(
      'module.exports = "built by good";',
    );
    // Still stale, and not locked: the next build runs.
    expect((await builder('retry')).code).toBe(0);
    expect(compiles()).toEqual(['good', 'broken', 'retry']);
    expectWholeDist();
  }, 60_000);

  it('takes over a lock left by a process that died', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    fs.writeFileSync(`${dist()}.lock`, dead.stdout.toString());
    fs.writeFileSync(path.join(root, 'go'), '');
    expect(await builder('after-crash')).toEqual({ code: 0, stderr: '' });
    expectWholeDist();
    expect(compiles()).toEqual(['after-crash']);
  }, 60_000);
});
