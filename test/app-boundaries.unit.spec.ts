import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The apps' dependency graph, read from their production sources (tests and `src/testing/` left
 * out): no cycles between apps, and every import of another app goes through its index. The
 * lint rule in eslint.config.mjs forbids the deep imports as they are written; this checks the
 * whole graph at once.
 */
const ROOT = path.resolve(__dirname, '..');
const APPS = fs.readdirSync(path.join(ROOT, 'apps'));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sources(file);
    return file.endsWith('.ts') && !file.endsWith('.spec.ts') ? [file] : [];
  });
}

/** app -> the other apps it imports, with the import paths used. */
function appImports(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const app of APPS) {
    const edges = new Map<string, string[]>();
    for (const file of sources(path.join(ROOT, 'apps', app, 'src'))) {
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), spec));
        const [top, other] = target.split(path.sep);
        if (top === 'apps' && other !== app)
          edges.set(other, [...(edges.get(other) ?? []), target]);
      }
    }
    graph.set(app, edges);
  }
  return graph;
}

describe('app boundaries', () => {
  const graph = appImports();

  it('imports other apps only through their index', () => {
    const deep = [...graph.values()]
      .flatMap((edges) => [...edges.values()].flat())
      .filter((target) => !/^apps\/[a-z-]+\/src$/.test(target));
    expect(deep).toEqual([]);
  });

  it('has no import cycle between apps', () => {
    const cycles: string[] = [];
    const visit = (app: string, trail: string[]) => {
      if (trail.includes(app)) {
        cycles.push([...trail.slice(trail.indexOf(app)), app].join(' -> '));
        return;
      }
      for (const next of graph.get(app)?.keys() ?? []) visit(next, [...trail, app]);
    };
    for (const app of APPS) visit(app, []);
    expect(cycles).toEqual([]);
  });

  it('sees the edges it should (the check is not vacuous)', () => {
    expect([...(graph.get('cli')?.keys() ?? [])]).toEqual(
      expect.arrayContaining(['ingest', 'analytics-api', 'projector']),
    );
    expect(graph.get('ingest')?.has('event-writer')).toBe(true);
    expect(graph.get('event-writer')?.has('ingest')).toBe(false);
  });
});
