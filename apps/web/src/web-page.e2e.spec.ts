import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AuditTrail, DsaRegistry, mintToken } from '@linkage/governance';
import { eventually } from '@linkage/testing';
import { loadRuleset, SHIPPED_RULESETS } from '@linkage/segmentation';
import { createAnalyticsApp, type AnalyticsApp } from '../../analytics-api/src';
import { runSegmentation } from '../../projector/src';
import { WebModule } from './web.module';
import {
  ingestedPopulation,
  type PipelineFixture,
} from '../../analytics-api/src/testing/pipeline-fixture';

// Debian's chromium, driven by playwright-core (infra/test-env.sh installs it when missing).
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const DSA = 'dsa-web-e2e';
/** The 989 LSOA codes the map draws. */
const MAP_CODES = new Set(
  (
    JSON.parse(
      fs.readFileSync(
        path.join(__dirname, '../../../libs/reference/data/lcr_lsoa2011_boundaries.geojson'),
        'utf8',
      ),
    ) as { features: Array<{ properties: { lsoa11cd: string } }> }
  ).features.map((f) => f.properties.lsoa11cd),
);
const PURPOSE = 'service-evaluation';

/** What a request from the page must never carry: NHS-number-like digits, pseudonyms, postcodes. */
const TEN_DIGITS = /\d{10}/;
const PSEUDONYM = /[0-9a-f]{32}/i;
const FULL_POSTCODE = /\b[A-Z]{1,2}\d[A-Z\d]?(\s|%20|\+)*\d[A-Z]{2}\b/i;

/** Runs an expression in the page (the test is compiled without DOM types). */
function inPage<T = unknown>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** The ECharts instance drawn in `[data-testid=<id>]`, as an expression. */
function chartOf(testid: string): string {
  return `window.echarts.getInstanceByDom(document.querySelector('[data-testid=${testid}]'))`;
}

interface SeenRequest {
  method: string;
  url: string;
  body: string | null;
}

describe('the web page in headless Chromium', () => {
  let fixture: PipelineFixture;
  let api: AnalyticsApp;
  let browser: Browser;
  let jwtSecret: Buffer;
  let analystToken: string;
  let officerToken: string;
  let checkerToken: string;
  let headDir: string | undefined;
  const requests: SeenRequest[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    expect(fs.existsSync(CHROMIUM)).toBe(true);
    fixture = await ingestedPopulation({ cohort: 300, seed: 'web-e2e' });
    // Segments as of the last day of the generated data (a few seconds at this size).
    for (const id of SHIPPED_RULESETS) {
      await runSegmentation({
        sql: fixture.db.sql,
        store: fixture.store,
        ruleset: loadRuleset(id),
        asOf: fixture.manifest.parameters.endDate,
        actor: 'web-e2e',
      });
    }
    jwtSecret = randomBytes(32);
    // A signed audit head of this test's own (the default one under ./.data is shared).
    headDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-web-e2e-'));
    process.env.LINKAGE_AUDIT_HEAD_FILE = path.join(headDir, 'head.json');
    api = await createAnalyticsApp({
      db: fixture.db,
      port: 0,
      store: fixture.store,
      jwtSecret,
      modules: [WebModule.forRoot({ db: fixture.db })],
    });
    await new DsaRegistry(fixture.db.sql).add({
      ref: DSA,
      purposes: [PURPOSE],
      roles: ['analyst', 'governance-officer', 'output_checker'],
    });
    const mint = (user: string, role: 'analyst' | 'governance-officer' | 'output_checker') =>
      mintToken({ user, role, purpose: PURPOSE, dsa: DSA }, jwtSecret).token;
    analystToken = mint('web-analyst', 'analyst');
    officerToken = mint('web-officer', 'governance-officer');
    checkerToken = mint('web-checker', 'output_checker');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 240_000);

  // Each test's tabs close when it ends, so that what they still load in the background (the
  // other measures, each with its own bootstrap) does not queue ahead of the next test.
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await api?.close();
    await fixture?.close();
    delete process.env.LINKAGE_AUDIT_HEAD_FILE;
    if (headDir) fs.rmSync(headDir, { recursive: true, force: true });
  });

  /** A fresh tab (its own sessionStorage) at 1280x800 that records every request it makes. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('request', (r) =>
      requests.push({ method: r.method(), url: r.url(), body: r.postData() }),
    );
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${api.url}/`);
    await page.fill('#token', token);
    await page.click('form.sign-in button[type=submit]');
  }

  async function openView(page: Page, view: string): Promise<void> {
    if ((await page.getAttribute('main', 'data-loaded')) !== view) {
      await page.click(`nav a[data-view=${view}]`);
    }
    await page.waitForSelector(`main[data-loaded="${view}"]`, { timeout: 60_000 });
  }

  /**
   * The text of the first match once it contains `expected` (polled from the test with a
   * deadline: the page's CSP forbids the string evaluation `waitForFunction` would need).
   * After the deadline, returns what is there, for jest to report.
   */
  async function textOf(page: Page, selector: string, expected = ''): Promise<string> {
    const read = async () => (await page.locator(selector).first().textContent()) ?? '';
    return eventually(
      async () => {
        const text = await read();
        return text.includes(expected) ? text : undefined;
      },
      { timeoutMs: 30_000, what: `${selector} to contain ${expected}` },
    ).catch(read);
  }

  /** Polls until `[data-testid=<id>]` says it has loaded (filled in after the view is drawn). */
  async function loadedSlot(page: Page, id: string): Promise<void> {
    await eventually(
      async () =>
        (await page.getAttribute(`[data-testid=${id}]`, 'data-state')) === 'loaded' || undefined,
      { timeoutMs: 60_000, what: `${id} to load` },
    );
  }

  async function apiJson<T>(path: string, token = analystToken): Promise<T> {
    const res = await fetch(`${api.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  it('serves the page from the analytics origin with its own scripts only', async () => {
    const res = await fetch(`${api.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('/web/echarts.min.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${api.url}/web/echarts.min.js`)).status).toBe(200);
    expect((await fetch(`${api.url}/web/..%2Fpackage.json`)).status).toBe(404);
  });

  it('refuses a token it did not sign and an expired one, saying so plainly', async () => {
    const page = await newPage();
    await signIn(page, 'not-a-token');
    expect(await textOf(page, '#sign-in-status', 'not signed')).toContain(
      'not signed by this service',
    );
    const expired = mintToken(
      { user: 'web-analyst', role: 'analyst', purpose: PURPOSE, dsa: DSA, ttl: '60s' },
      jwtSecret,
      new Date(Date.now() - 3600_000),
    ).token;
    await signIn(page, expired);
    expect(await textOf(page, '#sign-in-status', 'expired')).toContain('This token has expired');
    expect(await inPage(page, `sessionStorage.getItem('linkage.token')`)).toBeNull();
    const refusals = await new AuditTrail(fixture.db.sql).search({
      action: 'session.sign-in',
      outcome: 'denied',
    });
    expect(refusals.entries.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['token_invalid', 'token_expired']),
    );
  });

  it('signs an analyst in, shows who they are, and the crisis estimate and interval the API gives', async () => {
    const page = await newPage();
    await signIn(page, analystToken);
    await page.waitForSelector('main[data-loaded="evaluation"]', { timeout: 60_000 });
    expect(await textOf(page, '[data-testid=who]')).toBe(
      `web-analyst · analyst · ${PURPOSE} · ${DSA}`,
    );
    expect(await inPage(page, `sessionStorage.getItem('linkage.token')`)).toBe(analystToken);

    const crisis = await apiJson<{
      did: number | null;
      ci95: [number | null, number | null];
      diagnostics: {
        passed: boolean;
        balance: { passed: boolean };
        preTrend: { passed: boolean };
        negativeControl: { passed: boolean };
      };
    }>('/v1/outcomes?measure=crisis&before=12&after=12');
    expect(typeof crisis.did).toBe('number');
    expect(await page.getAttribute('[data-testid=did-figures]', 'data-measure')).toBe('crisis');
    const shown = async (id: string) =>
      Number(await page.locator(`[data-testid=${id}]`).innerText());
    expect(await shown('did')).toBe(crisis.did);
    expect(await shown('ci-low')).toBe(crisis.ci95[0]);
    expect(await shown('ci-high')).toBe(crisis.ci95[1]);
    // The love plot is drawn by ECharts from the balance route.
    // The love plot is drawn by ECharts from the balance route (before and after matching).
    expect(await inPage(page, `${chartOf('love-plot')}.getOption().series.length`)).toBe(2);

    // The diagnostics verdicts beside the estimate are the API's.
    const d = crisis.diagnostics;
    expect(await page.getAttribute('ul[data-testid=diagnostics]', 'data-passed')).toBe(
      String(d.passed),
    );
    const verdicts = await page
      .locator('ul[data-testid=diagnostics] li')
      .evaluateAll((items) =>
        items.map((li) => [li.getAttribute('data-diagnostic'), li.getAttribute('data-passed')]),
      );
    expect(Object.fromEntries(verdicts)).toEqual({
      balance: String(d.balance.passed),
      'pre-trend': String(d.preTrend.passed),
      'negative-control': String(d.negativeControl.passed),
    });

    // The event study fills in after the view is drawn: the API's months, suppressed ones hatched.
    const study = await apiJson<{
      series: Array<{ month: number; users: number | null; controls: number | null }>;
    }>('/v1/outcomes/event-study?measure=crisis');
    await loadedSlot(page, 'event-study-panel');
    const drawn = await inPage<{ users: unknown[]; controls: unknown[]; suppressed: number }>(
      page,
      `(() => {
        const series = ${chartOf('event-study')}.getOption().series;
        const data = (name) => series.find((s) => s.name === name).data;
        return {
          users: data('Life Rooms users'),
          controls: data('Matched controls'),
          suppressed: data('suppressed').filter((d) => d && d.suppressed).length,
        };
      })()`,
    );
    expect(drawn.users).toEqual(study.series.map((p) => p.users ?? '-'));
    expect(drawn.controls).toEqual(study.series.map((p) => p.controls ?? '-'));
    expect(drawn.suppressed).toBe(
      study.series.filter((p) => p.users === null || p.controls === null).length,
    );
  });

  it('draws the map with all 989 LSOAs, and suppressed cells as suppressed, never as numbers', async () => {
    const page = await newPage();
    await signIn(page, analystToken);
    await page.waitForSelector('main[data-loaded="evaluation"]', { timeout: 60_000 });
    await openView(page, 'areas');
    const summary = '[data-testid=map-summary]';
    expect(await page.getAttribute(summary, 'data-areas')).toBe('989');
    const drawn = await inPage(
      page,
      `(() => {
        const data = ${chartOf('lsoa-map')}.getOption().series[0].data;
        return { areas: data.length, suppressed: data.filter((d) => d.suppressed).length };
      })()`,
    );
    const lsoa = await apiJson<{ rows: Array<{ key: string; people: number | null }> }>(
      '/v1/breakdowns/lsoa?measure=crisis',
    );
    const suppressedInApi = lsoa.rows.filter((r) => r.people === null && MAP_CODES.has(r.key));
    expect(suppressedInApi.length).toBeGreaterThan(0);
    expect(drawn).toEqual({ areas: 989, suppressed: suppressedInApi.length });
    expect(await page.getAttribute(summary, 'data-suppressed')).toBe(
      String(suppressedInApi.length),
    );

    // Every cell of the IMD decile table: the API's number, or "suppressed" exactly where it is null.
    const imd = await apiJson<{
      rows: Array<{ key: string; people: number | null; ratePerPersonYear: number | null }>;
    }>('/v1/breakdowns/imd-decile?measure=crisis');
    await page.waitForSelector('[data-testid=imd-table]', { timeout: 60_000 }); // fills in after the map
    const tableRows = await page.locator('[data-testid=imd-table] tbody tr').all();
    expect(tableRows).toHaveLength(imd.rows.length);
    let suppressedCells = 0;
    for (const row of tableRows) {
      const cells = await row.locator('th, td').allInnerTexts();
      const api = imd.rows.find((r) => r.key === cells[1].trim())!;
      expect(api).toBeDefined();
      if (api.people === null) {
        expect(cells[2].trim()).toBe('suppressed');
        suppressedCells++;
      } else expect(Number(cells[2])).toBe(api.people);
    }
    const sectors = await apiJson<{ rows: Array<{ people: number | null }> }>(
      '/v1/breakdowns/postcode-sector?measure=crisis',
    );
    const sectorSuppressed = sectors.rows.filter((r) => r.people === null).length;
    expect(sectorSuppressed + suppressedCells).toBeGreaterThan(0);
    if (sectorSuppressed > 0) {
      expect(await textOf(page, '[data-testid=sector-table] tbody td .suppressed')).toBe(
        'suppressed',
      );
    }
    expect(await textOf(page, '.attribution')).toContain('Office for National Statistics');

    // Reach per 1,000 residents (its own controlled route): same 989 areas, its own suppression.
    const reach = await apiJson<{ areas: Array<{ lsoa: string; reachPer1000: number | null }> }>(
      '/v1/areas/lsoa',
    );
    await page.selectOption('#area-metric', 'reach');
    await eventually(
      async () =>
        (await page.getAttribute('[data-testid=lsoa-map]', 'data-metric')) === 'reach' || undefined,
      { what: 'the reach map' },
    );
    await page.waitForSelector('main[data-loaded="areas"] [data-testid=map-summary]');
    const reachDrawn = await inPage<{ areas: number; suppressed: number; values: number[] }>(
      page,
      `(() => {
        const data = ${chartOf('lsoa-map')}.getOption().series[0].data;
        return {
          areas: data.length,
          suppressed: data.filter((d) => d.suppressed).length,
          values: data.filter((d) => typeof d.value === 'number').map((d) => d.value).sort((a, b) => a - b),
        };
      })()`,
    );
    expect(MAP_CODES.size).toBe(989);
    expect(reachDrawn.areas).toBe(989);
    reach.areas = reach.areas.filter((a) => MAP_CODES.has(a.lsoa));
    expect(reachDrawn.suppressed).toBe(reach.areas.filter((a) => a.reachPer1000 === null).length);
    expect(reachDrawn.values).toEqual(
      reach.areas
        .map((a) => a.reachPer1000)
        .filter((v): v is number => v !== null)
        .sort((a, b) => a - b),
    );
  });

  it('downloads a table as CSV through the API, with the numbers the API gives', async () => {
    const page = await newPage();
    await signIn(page, analystToken);
    await page.waitForSelector('main[data-loaded="evaluation"]', { timeout: 60_000 });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-csv^="/v1/matching/balance"]'),
    ]);
    const file = await download.path();
    const fromPage = fs.readFileSync(file!, 'utf8');
    const fromApi = await (
      await fetch(`${api.url}/v1/matching/balance`, {
        headers: { authorization: `Bearer ${analystToken}`, accept: 'text/csv' },
      })
    ).text();
    expect(fromPage).toBe(fromApi);
    expect(fromPage.split('\n')[0]).toContain('smd_before');
  });

  it('shows an officer the audit trail and a verified chain', async () => {
    const page = await newPage();
    await signIn(page, officerToken);
    await page.waitForSelector('main[data-loaded="governance"]', { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=chain-status]', 'data-intact')).toBe('true');
    expect(await textOf(page, '[data-testid=chain-status]')).toMatch(/^Verified: all \d+ entries/);
    expect(await page.locator('[data-testid=audit-table] tbody tr').count()).toBeGreaterThan(0);
    // Filter to refusals: only denied entries are listed.
    await page.selectOption('#f-outcome', 'denied');
    await page.click('form.filters button[type=submit]');
    await page.waitForSelector('main[data-loaded="governance"] [data-testid=audit-table]');
    const outcomes = await page
      .locator('[data-testid=audit-table] tbody tr td:nth-child(8)')
      .allInnerTexts();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(new Set(outcomes)).toEqual(new Set(['denied']));
    expect(await page.locator('[data-testid=monthly-report] tbody tr').count()).toBeGreaterThan(0);
  });

  it('shows the SWEMWBS baseline and follow-up distributions the API gives, suppressed bins as suppressed', async () => {
    const page = await newPage();
    await signIn(page, analystToken);
    await page.waitForSelector('main[data-loaded="evaluation"]', { timeout: 60_000 });
    await openView(page, 'wellbeing');
    type Bin = { bin: string; people: number | null };
    const d = await apiJson<{ baseline: Bin[]; followUp: Bin[] }>('/v1/wellbeing/distributions');
    const all = [...d.baseline, ...d.followUp];
    // Both kinds are there to be drawn at this size: published bins and withheld ones.
    expect(all.some((b) => b.people !== null && b.people > 0)).toBe(true);
    expect(all.some((b) => b.people === null)).toBe(true);
    const rows = await page
      .locator('[data-testid=distribution-table] tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim())),
      );
    const text = (v: number | null) => (v === null ? 'suppressed' : String(v));
    expect(rows).toEqual(
      d.baseline.map((b, i) => [b.bin, text(b.people), text(d.followUp[i].people)]),
    );
    // The chart: one series per timing; a withheld bin is a hatched bar marked suppressed.
    const series = await inPage<
      Array<{ name: string; data: Array<{ value: number; suppressed?: boolean }> }>
    >(
      page,
      `${chartOf('distribution-chart')}.getOption().series.map((s) => ({ name: s.name, data: s.data }))`,
    );
    expect(series.map((s) => s.name)).toEqual(['baseline', 'follow-up']);
    const drawn = (i: number) => series[i].data.map((b) => (b.suppressed ? null : b.value));
    expect(drawn(0)).toEqual(d.baseline.map((b) => b.people));
    expect(drawn(1)).toEqual(d.followUp.map((b) => b.people));
    // Its CSV is the API's, through the same gate: withheld bins say suppressed, never 0.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-csv="/v1/wellbeing/distributions"]'),
    ]);
    const csv = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe('timing,bin,from,to,people');
    expect(csv.slice(1)).toEqual(
      [...d.baseline.map((b) => ['baseline', b]), ...d.followUp.map((b) => ['follow_up', b])].map(
        ([timing, b]) => {
          const bin = b as Bin;
          const [from, to] = bin.bin.split('-');
          return [timing, bin.bin, from, to, bin.people ?? 'suppressed'].join(',');
        },
      ),
    );
  });

  it('shows an officer the release requests awaiting review, and an output checker their queue', async () => {
    const post = async (p: string, token: string, body: unknown) => {
      const res = await fetch(`${api.url}${p}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect([p, res.status]).toEqual([p, 201]);
      return (await res.json()) as { releaseId: string };
    };
    const waiting = await post('/v1/releases', analystToken, {
      output: 'wellbeing',
      justification: 'wellbeing change for the trust board',
    });
    const decided = await post('/v1/releases', analystToken, {
      output: 'cohort',
      justification: 'cohort size for the annual report',
    });
    await post(`/v1/releases/${decided.releaseId}/review`, checkerToken, {
      decision: 'reject',
      reason: 'not needed this quarter',
    });

    const officer = await newPage();
    await signIn(officer, officerToken);
    await officer.waitForSelector('main[data-loaded="governance"]', { timeout: 60_000 });
    const listed = async (page: Page) =>
      page
        .locator('[data-testid=releases-table] tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim())),
        );
    const officerRows = await listed(officer);
    // Only the request still awaiting review: the rejected one is not in the queue.
    expect(officerRows.map((r) => r[7])).toEqual([waiting.releaseId]);
    expect(officerRows[0].slice(1, 6)).toEqual([
      'web-analyst',
      DSA,
      'wellbeing',
      '(none)',
      'wellbeing change for the trust board',
    ]);
    // Its CSV comes from the API, with the same request in it.
    const [download] = await Promise.all([
      officer.waitForEvent('download'),
      officer.click('[data-csv="/v1/releases?status=requested"]'),
    ]);
    const csv = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toMatch(/^release_id,status,output,parameters,requested_by,dsa,justification/);
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual([waiting.releaseId]);

    // An output checker lands on the same queue, without the audit panels they may not read.
    const checker = await newPage();
    await signIn(checker, checkerToken);
    await checker.waitForSelector('main[data-loaded="governance"]', { timeout: 60_000 });
    expect((await listed(checker)).map((r) => r[7])).toEqual([waiting.releaseId]);
    expect(await checker.locator('[data-testid=chain-status]').count()).toBe(0);
    const lists = await new AuditTrail(fixture.db.sql).search({
      actor: 'web-officer',
      action: 'release.list',
      outcome: 'ok',
    });
    expect(lists.entries.length).toBeGreaterThan(0);
  });

  it('downloads the monthly access report from the API, and the download is audited', async () => {
    const page = await newPage();
    await signIn(page, officerToken);
    await page.waitForSelector('main[data-loaded="governance"] [data-testid=monthly-report]', {
      timeout: 60_000,
    });
    const month = new Date().toISOString().slice(0, 7);
    const audited = async () =>
      (
        await new AuditTrail(fixture.db.sql).search({
          actor: 'web-officer',
          action: 'audit.report.monthly',
          outcome: 'ok',
        })
      ).total;
    // Every call is audited before its answer leaves (AuditInterceptor), so the view's own
    // JSON call is counted by now, and the page is idle.
    const before = await audited();
    expect(before).toBeGreaterThan(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`[data-csv="/v1/audit/reports/monthly?month=${month}"]`),
    ]);
    expect(download.suggestedFilename()).toBe(`access-report-${month}.csv`);
    const lines = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('month,actor,purpose,accesses,denied');
    const officerLine = lines.find((l) => l.startsWith(`${month},web-officer,${PURPOSE},`));
    expect(officerLine).toBeDefined();
    // The file was answered by the API (one more audited report call), not written by the page.
    expect(await audited()).toBe(before + 1);
    const seen = requests.filter((r) => r.url.includes(`/v1/audit/reports/monthly?month=${month}`));
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses an analyst the governance view, and the refusal is in the audit trail', async () => {
    const page = await newPage();
    await signIn(page, analystToken);
    await page.waitForSelector('main[data-loaded="evaluation"]', { timeout: 60_000 });
    await openView(page, 'governance');
    expect(await textOf(page, 'main .refused')).toMatch(/^Refused\. Your role may not open this/);
    expect(await page.getAttribute('main .refused', 'data-reason')).toBe('role_lacks_permission');
    expect(await page.locator('[data-testid=chain-status]').count()).toBe(0);
    const audit = await new AuditTrail(fixture.db.sql).search({
      actor: 'web-analyst',
      action: 'audit.verify',
      outcome: 'denied',
    });
    expect(audit.entries.length).toBeGreaterThan(0);
    expect(audit.entries[0]).toMatchObject({
      role: 'analyst',
      httpStatus: 403,
      reason: 'role_lacks_permission',
    });
  });

  it('can be used from the keyboard: Tab to a view, Enter opens it, focus lands on its heading', async () => {
    const page = await newPage();
    await signIn(page, analystToken);
    await page.waitForSelector('main[data-loaded="evaluation"]', { timeout: 60_000 });
    // Start from the top of the page (the skip link): focusing <body> does not move Chromium's
    // sequential-focus starting point, which stays where the removed sign-in button was.
    await page.focus('a.skip');
    let focused = '';
    for (let i = 0; i < 12 && focused !== 'wellbeing'; i++) {
      await page.keyboard.press('Tab');
      focused =
        (await inPage<string | null>(page, `document.activeElement?.dataset?.view ?? null`)) ?? '';
    }
    expect(focused).toBe('wellbeing');
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-loaded="wellbeing"]', { timeout: 60_000 });
    expect(
      await inPage(
        page,
        `document.activeElement?.tagName + ':' + document.activeElement?.textContent`,
      ),
    ).toBe('H1:Wellbeing');
  });

  it('shows an analyst the segment sizes the API gives, suppressed ones as suppressed, and the Life Rooms lens', async () => {
    const page = await newPage();
    await signIn(page, analystToken);
    await page.waitForSelector('main[data-loaded="evaluation"]', { timeout: 60_000 });
    await openView(page, 'segments');
    const list = await apiJson<{
      segments: Array<{ id: string; ruleset: string; size: number | null; parent: string | null }>;
      provenance: { runs: Array<{ ruleset: string }> };
    }>('/v1/segments');
    const ruleset = list.provenance.runs[0].ruleset;
    expect(await page.inputValue('#ruleset')).toBe(ruleset);
    const expected = list.segments.filter((s) => s.ruleset === ruleset);
    const rows = await page
      .locator('[data-testid=segment-sizes] tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim())),
      );
    expect(rows.map((r) => r[0])).toEqual(expected.map((s) => s.id));
    for (const [i, s] of expected.entries())
      expect(rows[i][2]).toBe(s.size === null ? 'suppressed' : String(s.size));
    // The chart draws top-level sizes; a suppressed one is drawn as suppressed, not as a number.
    const bars = await inPage<Array<{ value: number; suppressed?: boolean }>>(
      page,
      `${chartOf('segment-sizes-chart')}.getOption().series[0].data`,
    );
    const top = expected.filter((s) => !s.parent);
    expect(bars.map((b) => (b.suppressed ? null : b.value))).toEqual(top.map((s) => s.size));

    // The selected segment's lens, trend and areas fill in after the sizes.
    const selected = await page.inputValue('#segment');
    await loadedSlot(page, 'segment-lens-panel');
    const lens = await apiJson<{
      size: number | null;
      lifeRooms: { lifeRoomsUsers: number | null };
    }>(`/v1/segments/${selected}`);
    expect(await textOf(page, '[data-testid=segment-size]')).toBe(
      lens.size === null ? 'suppressed' : String(lens.size),
    );
    expect(await textOf(page, '[data-testid=segment-users]')).toBe(
      lens.lifeRooms.lifeRoomsUsers === null ? 'suppressed' : String(lens.lifeRooms.lifeRoomsUsers),
    );
    await loadedSlot(page, 'segment-areas-panel');
    const areas = await apiJson<{ areas: unknown[] }>(
      `/v1/segments/${selected}/areas?level=local-authority`,
    );
    expect(await page.locator('[data-testid=segment-areas] tbody tr').count()).toBe(
      areas.areas.length,
    );
  });

  it('never sends an identifier: only GETs to its own origin, no NHS numbers, pseudonyms or postcodes', async () => {
    // Every view as an analyst and as an officer (plus whatever the tests above requested).
    for (const [token, views] of [
      [analystToken, ['evaluation', 'areas', 'wellbeing', 'segments', 'governance']],
      [officerToken, ['governance', 'evaluation']],
    ] as const) {
      const page = await newPage();
      await signIn(page, token);
      await page.waitForSelector('main[data-loaded]', { timeout: 60_000 });
      for (const view of views) await openView(page, view);
    }
    expect(requests.length).toBeGreaterThan(20);
    const origin = new URL(api.url!).origin;
    for (const r of requests) {
      expect([r.url, r.method]).toEqual([r.url, 'GET']);
      expect(r.body).toBeNull();
      expect(new URL(r.url).origin).toBe(origin);
      const path = decodeURIComponent(new URL(r.url).pathname + new URL(r.url).search);
      expect(path).not.toMatch(TEN_DIGITS);
      expect(path).not.toMatch(PSEUDONYM);
      expect(path).not.toMatch(FULL_POSTCODE);
    }
  });
});
