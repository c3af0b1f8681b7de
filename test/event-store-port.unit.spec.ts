import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The apps use the event store through its port (`@linkage/event-store`): none tests which
 * adapter it was given (`instanceof`; `transactionalStore` answers that question in the lib) or
 * calls the PostgreSQL adapter's own SQL functions such as `event_store.visible_horizon()`.
 * The bench measures the adapters themselves and is left out, as are tests.
 */
const ROOT = path.resolve(__dirname, '..');

function productionSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory())
      return ['testing', 'bench'].includes(entry.name) ? [] : productionSources(file);
    return file.endsWith('.ts') && !file.endsWith('.spec.ts') ? [file] : [];
  });
}

describe('apps use the event store through its port', () => {
  const sources = productionSources(path.join(ROOT, 'apps'));
  const offending = (pattern: RegExp) =>
    sources
      .filter((file) => pattern.test(fs.readFileSync(file, 'utf8')))
      .map((file) => path.relative(ROOT, file));

  it('reads the apps it should (the check is not vacuous)', () => {
    expect(sources.map((f) => path.relative(ROOT, f))).toEqual(
      expect.arrayContaining([
        'apps/event-writer/src/event-writer.ts',
        'apps/event-writer/src/linkage/person-merge.ts',
        'apps/projector/src/projection/projector.ts',
      ]),
    );
  });

  it('never tests which adapter it holds', () => {
    expect(offending(/instanceof\s+(PostgresqlEventStore|EventStoreDbEventStore)\b/)).toEqual([]);
  });

  it("never calls the PostgreSQL adapter's SQL functions", () => {
    expect(offending(/event_store\.\w+\s*\(/)).toEqual([]);
  });
});
