import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { OUTCOME_MEASURES } from '@linkage/domain';
import { DsaRegistry, mintToken } from '@linkage/governance';
import { runSegmentation } from '../../../projector/src';
import { loadRuleset } from '@linkage/segmentation';
import { createAnalyticsApp, type AnalyticsApp } from '../create-analytics-app';
import { BREAKDOWN_DIMENSIONS } from '../analytics/analytics.queries';
import { SEGMENT_AREA_LEVELS } from '../segments/segments.queries';
import { ingestedPopulation, type PipelineFixture } from '../testing/pipeline-fixture';
import { SUPPRESSED_CSV_MARK } from './csv';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
}

const SEGMENT = 'bridges-to-health.generally-well';
/** Concrete requests for every CSV route of the analytics API, by its OpenAPI path. */
const REQUESTS: Record<string, string[]> = {
  '/v1/cohort': ['/v1/cohort'],
  '/v1/outcomes': OUTCOME_MEASURES.map((m) => `/v1/outcomes?measure=${m}`),
  '/v1/outcomes/event-study': ['/v1/outcomes/event-study?measure=crisis'],
  '/v1/breakdowns/{dimension}': BREAKDOWN_DIMENSIONS.flatMap((d) =>
    ['crisis', 'cost'].map((m) => `/v1/breakdowns/${d}?measure=${m}`),
  ),
  '/v1/wellbeing': ['/v1/wellbeing'],
  '/v1/wellbeing/distributions': ['/v1/wellbeing/distributions'],
  '/v1/matching/balance': ['/v1/matching/balance'],
  '/v1/areas/lsoa': ['/v1/areas/lsoa'],
  '/v1/segments': ['/v1/segments'],
  '/v1/segments/{id}': [`/v1/segments/${SEGMENT}`],
  '/v1/segments/{id}/areas': SEGMENT_AREA_LEVELS.map(
    (l) => `/v1/segments/${SEGMENT}/areas?level=${l}`,
  ),
  '/v1/segments/{id}/trend': [`/v1/segments/${SEGMENT}/trend`],
};

/**
 * Where an empty cell is right: the value does not apply to that row (a withheld one reads
 * `suppressed`). Anything else empty is a withheld number that lost its mark.
 */
function notApplicable(
  path: string,
  row: Record<string, string>,
  column: string,
  firstOfItsSeries: boolean,
) {
  if (path.startsWith('/v1/outcomes?') && row.group === 'controls')
    return ['did', 'ci95_low', 'ci95_high'].includes(column);
  if (path === '/v1/cohort')
    return column === 'people' && ['prescription_outcomes', 'engagement'].includes(row.section);
  // The first run of the segment, and of each area, has no run before it.
  if (path.endsWith('/trend')) return column === 'change_since_previous_run' && firstOfItsSeries;
  if (path.startsWith('/v1/segments/')) return column === 'outcome_withheld';
  if (path === '/v1/matching/balance') return true; // a statistic not computed for a covariate
  return false;
}

/**
 * Every CSV route of the analytics API (taken from its OpenAPI document, so a new route cannot
 * be forgotten) answers with snake_case columns, withheld cells marked `suppressed` and never
 * blank, and the suppressed list in its header whenever a cell is marked.
 */
describe('CSV answers of every analytics route', () => {
  let fixture: PipelineFixture;
  let api: AnalyticsApp;
  let token: string;

  beforeAll(async () => {
    fixture = await ingestedPopulation({ cohort: 200, seed: 'csv-routes' });
    await runSegmentation({
      sql: fixture.db.sql,
      store: fixture.store,
      ruleset: loadRuleset('bridges-to-health'),
      asOf: fixture.manifest.parameters.endDate,
      actor: 'test',
    });
    const jwtSecret = randomBytes(32);
    api = await createAnalyticsApp({ db: fixture.db, port: 0, store: fixture.store, jwtSecret });
    await new DsaRegistry(fixture.db.sql).add({
      ref: 'dsa-csv',
      purposes: ['evaluation'],
      roles: ['analyst'],
    });
    token = mintToken(
      { user: 'csv', role: 'analyst', purpose: 'evaluation', dsa: 'dsa-csv' },
      jwtSecret,
    ).token;
  }, 300_000);
  afterAll(async () => {
    await api?.close();
    await fixture?.close();
  });

  it('knows every route the OpenAPI document says answers CSV', async () => {
    const doc = (await (await fetch(`${api.url}/docs-json`)).json()) as OpenApiDocument;
    const csvRoutes = Object.entries(doc.paths)
      .filter(([, methods]) =>
        Object.values(methods).some((op) =>
          Object.values(op.responses).some((r) => r.content && 'text/csv' in r.content),
        ),
      )
      .map(([path]) => path)
      .sort();
    expect(csvRoutes).toEqual(Object.keys(REQUESTS).sort());
  });

  it('answers snake_case columns, marks withheld cells and never leaves one blank', async () => {
    let marked = 0;
    for (const path of Object.values(REQUESTS).flat()) {
      const res = await fetch(`${api.url}${path}`, {
        headers: { accept: 'text/csv', authorization: `Bearer ${token}` },
      });
      expect([path, res.status]).toEqual([path, 200]);
      const text = await res.text();
      const [header] = parse(text, { to_line: 1 }) as string[][];
      expect([path, header.filter((c) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(c))]).toEqual([
        path,
        [],
      ]);
      const rows = parse(text, { columns: true }) as Record<string, string>[];
      const blanks: string[] = [];
      let here = 0;
      const series = new Set<string>();
      rows.forEach((row, i) => {
        // A trend's rows are runs of one series (the segment, or one area) in order.
        const key = row.area === undefined ? '' : `${row.level}/${row.area}`;
        const first = row.area === undefined ? i === 0 : !series.has(key);
        series.add(key);
        for (const [column, cell] of Object.entries(row)) {
          if (cell === SUPPRESSED_CSV_MARK) here++;
          else if (cell === '' && !notApplicable(path, row, column, first)) blanks.push(column);
        }
      });
      expect([path, blanks]).toEqual([path, []]);
      if (here > 0) {
        const suppressed = JSON.parse(res.headers.get('x-linkage-suppressed') ?? '[]') as unknown[];
        expect([path, suppressed.length > 0]).toEqual([path, true]);
      }
      marked += here;
    }
    // A small population: the gate withholds cells somewhere, and they show as marked.
    expect(marked).toBeGreaterThan(0);
  });

  it('writes the outcome estimate once, on the users row, with its interval', async () => {
    const res = await fetch(`${api.url}/v1/outcomes?measure=crisis`, {
      headers: { accept: 'text/csv', authorization: `Bearer ${token}` },
    });
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.group)).toEqual(['users', 'controls']);
    expect(Object.keys(rows[0])).toEqual([
      'group',
      'n',
      'before',
      'after',
      'did',
      'ci95_low',
      'ci95_high',
    ]);
    expect(rows[0].did).not.toBe('');
    expect([rows[1].did, rows[1].ci95_low, rows[1].ci95_high]).toEqual(['', '', '']);
  });

  it('keeps the interval of the wellbeing change', async () => {
    const res = await fetch(`${api.url}/v1/wellbeing`, {
      headers: { accept: 'text/csv', authorization: `Bearer ${token}` },
    });
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.measure)).toEqual(
      expect.arrayContaining(['mean_change', 'mean_change_ci95_low', 'mean_change_ci95_high']),
    );
  });
});
