#!/usr/bin/env node
// How long the web page takes to show each view against a running analytics app (for example
// `linkage demo`, or `linkage serve --services analytics-api` on a demo data folder), measured in
// headless Chromium at 1280x800. A measurement, not a test: it prints figures for
// docs/BENCHMARKS.md and never fails on a slow reading.
//
//   node infra/measure-web-load.js --url http://127.0.0.1:3000 \
//     --analyst-token "$ANALYST" --officer-token "$OFFICER" [--runs 5] [--json]
//
// Each run opens a fresh browser context (empty cache, the token in the tab's sessionStorage as
// after signing in) and times, from the start of navigation to `/#/<view>`:
//   shown:    the view's heading and first content are on the page (`main[data-loaded=<view>]`);
//   complete: every part that fills in afterwards has too (no loading line left in <main>).
// Run 1 is the cold one (first request of each query since the server started, empty browser
// cache); the median is over all runs.
'use strict';
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'];

function parseArgs(argv) {
  const options = { runs: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    if (arg === '--url') options.url = next().replace(/\/$/, '');
    else if (arg === '--analyst-token') options.analyst = next();
    else if (arg === '--officer-token') options.officer = next();
    else if (arg === '--runs') options.runs = Number(next());
    else if (arg === '--json') options.json = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!options.url || !options.analyst)
    throw new Error('usage: --url URL --analyst-token T [--officer-token T] [--runs N] [--json]');
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs: 1 or more');
  return options;
}

async function timeView(browser, url, token, view) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    // As after signing in: the token is in this tab's sessionStorage before the page starts.
    await context.addInitScript(
      // eslint-disable-next-line no-undef -- runs in the page, where sessionStorage exists
      (t) => sessionStorage.setItem('linkage.token', t),
      token,
    );
    const page = await context.newPage();
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    await page.goto(`${url}/#/${view}`, { waitUntil: 'commit' });
    await page.waitForSelector(`main[data-loaded="${view}"]`, { timeout: 120_000 });
    const shown = ms();
    await page.waitForSelector('main [data-state="loading"], main .loading', {
      state: 'detached',
      timeout: 300_000,
    });
    const complete = ms();
    const refused = await page.locator('main .refused, main .error').count();
    return { shown, complete, refused: refused > 0 };
  } finally {
    await context.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const views = [
    ['evaluation', options.analyst],
    ['areas', options.analyst],
    ['wellbeing', options.analyst],
    ['segments', options.analyst],
    ...(options.officer ? [['governance', options.officer]] : []),
  ];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const results = [];
  try {
    for (const [view, token] of views) {
      const runs = [];
      for (let i = 0; i < options.runs; i++)
        runs.push(await timeView(browser, options.url, token, view));
      results.push({
        view,
        runs: runs.length,
        coldShownMs: Math.round(runs[0].shown),
        coldCompleteMs: Math.round(runs[0].complete),
        medianShownMs: Math.round(median(runs.map((r) => r.shown))),
        medianCompleteMs: Math.round(median(runs.map((r) => r.complete))),
        maxShownMs: Math.round(Math.max(...runs.map((r) => r.shown))),
        refused: runs.some((r) => r.refused),
      });
    }
  } finally {
    await browser.close();
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ url: options.url, results })}\n`);
    return;
  }
  const pad = (s, n) => String(s).padStart(n);
  process.stdout.write(
    `view         shown: cold  median   max   complete: cold  median  (ms, ${options.runs} runs)\n`,
  );
  for (const r of results)
    process.stdout.write(
      `${r.view.padEnd(12)} ${pad(r.coldShownMs, 11)} ${pad(r.medianShownMs, 7)} ${pad(r.maxShownMs, 5)} ${pad(r.coldCompleteMs, 16)} ${pad(r.medianCompleteMs, 7)}${r.refused ? '  (an error or refusal was shown)' : ''}\n`,
    );
}

main().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
