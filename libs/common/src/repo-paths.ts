import * as path from 'node:path';
import * as fs from 'node:fs';

/** The folder holding the project's package.json, from src/ (tests) and dist/ (runtime) alike. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate) && !dir.includes(`${path.sep}dist`)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'linkage') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Where embedded state lives: `LINKAGE_DATA_DIR` or `./.data` under the working directory. */
export function dataDir(): string {
  return path.resolve(process.env.LINKAGE_DATA_DIR ?? path.join(process.cwd(), '.data'));
}
