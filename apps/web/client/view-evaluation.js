// Evaluation: users and matched controls before and after the index date, the difference in
// differences with its interval, balance (love plot), and the diagnostics once they exist.
import { getJson, optional } from './api.js';
import {
  chart,
  csvButton,
  fill,
  h,
  notYet,
  panel,
  problem,
  provenance,
  slot,
  SUPPRESSED_COLOUR,
  SUPPRESSED_DECAL,
  table,
  value,
} from './ui.js';

export const MEASURES = [
  'crisis',
  'ae',
  'gp',
  'emergency_admission',
  'mental_health',
  'nhs111',
  'ambulance',
  'cost',
];

let selectedMeasure = 'crisis';

const outcomesPath = (m) => `/v1/outcomes?measure=${m}&before=12&after=12`;
const eventStudyPath = (m) => `/v1/outcomes/event-study?measure=${m}`;

/**
 * The selected measure (with its diagnostics) and the balance are drawn first and mark the view
 * loaded; its event study and then the other measures (one request at a time, each estimated
 * once per read-model version) fill in afterwards, and stop when the user leaves the view.
 */
export async function evaluationView(ctx) {
  const measure = selectedMeasure;
  const [selected, balance] = await Promise.all([
    getJson(outcomesPath(measure)),
    optional('/v1/matching/balance'),
  ]);
  const eventStudySlot = slot('event-study-panel', 'Event study');
  const others = slot('all-measures-panel', 'Every measure');
  ctx.onMount(async () => {
    const study = await optional(eventStudyPath(measure));
    if (ctx.disposed) return;
    fill(eventStudySlot, eventStudyPanel(ctx, study, selected));
    const results = MEASURES.map((m) => (m === measure ? { body: selected } : undefined));
    others.replaceChildren(allMeasuresTable(results));
    for (const [i, m] of MEASURES.entries()) {
      if (results[i]) continue;
      results[i] = await optional(outcomesPath(m));
      if (ctx.disposed) return;
      others.replaceChildren(allMeasuresTable(results));
    }
    fill(others, allMeasuresPanel(ctx, results));
  });

  const select = h(
    'select',
    {
      id: 'measure',
      onchange: (event) => {
        selectedMeasure = event.target.value;
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      },
    },
    MEASURES.map((m) => h('option', { value: m, selected: m === measure }, m)),
  );

  return h(
    'div',
    { class: 'view evaluation' },
    h(
      'div',
      { class: 'controls' },
      h('label', { for: 'measure' }, 'Measure '),
      select,
      h('span', { class: 'help' }, ' 12 months before and after the index date'),
    ),
    didPanel(ctx, selected, outcomesPath(measure)),
    diagnosticsPanel(selected),
    eventStudySlot,
    balancePanel(ctx, balance),
    others,
    provenance(selected.provenance),
  );
}

/** A verdict in words and colour: passed, failed, or not given (the estimate was suppressed). */
function verdict(passed) {
  if (passed === true) return h('span', { class: 'verdict passed' }, 'passed');
  if (passed === false) return h('span', { class: 'verdict failed' }, 'failed');
  return h('span', { class: 'verdict none' }, 'not given');
}

function interval(ci) {
  return h('span', {}, '[', value(ci?.[0] ?? null), ', ', value(ci?.[1] ?? null), ']');
}

/** The estimate's diagnostics as the API gave them (only beside a published estimate). */
function diagnosticsPanel(o) {
  const title = `Diagnostics: ${o.measure}`;
  const d = o.diagnostics;
  if (!d) {
    return panel(
      title,
      [],
      h(
        'p',
        { class: 'not-yet', 'data-testid': 'diagnostics', 'data-passed': '' },
        o.did === null
          ? 'The estimate is suppressed, so are its diagnostics.'
          : 'This estimate comes without diagnostics.',
      ),
    );
  }
  const item = (key, label, passed, ...detail) =>
    h(
      'li',
      { 'data-diagnostic': key, 'data-passed': String(passed) },
      h('strong', {}, label, ': '),
      verdict(passed),
      h('span', { class: 'detail' }, ' ', ...detail),
    );
  const b = d.balance;
  const p = d.preTrend;
  const n = d.negativeControl;
  return panel(
    title,
    [],
    h(
      'p',
      {},
      'Overall: ',
      verdict(d.passed),
      d.passed ? ' (every check passed)' : ' (read the warnings before using the estimate)',
    ),
    h(
      'ul',
      { class: 'diagnostics', 'data-testid': 'diagnostics', 'data-passed': String(d.passed) },
      item(
        'balance',
        'Balance',
        b.passed,
        `largest |SMD| after matching ${value(b.maxAbsSmdAfter)} (limit ${b.limit}) over ${b.covariates} covariates`,
      ),
      item(
        'pre-trend',
        'Pre-trend (placebo)',
        p.passed,
        'placebo DiD ',
        value(p.placeboDid),
        ' ',
        interval(p.ci95),
        p.warning ? h('span', { class: 'warning' }, ` ${p.warning}`) : null,
      ),
      item(
        'negative-control',
        `Negative control (${n.measure})`,
        n.passed,
        'DiD ',
        value(n.did),
        ' ',
        interval(n.ci95),
        `: ${n.why}.`,
        n.warning ? h('span', { class: 'warning' }, ` ${n.warning}`) : null,
      ),
    ),
  );
}

/** Monthly rates around the index date; suppressed months are hatched, never drawn as 0. */
function eventStudyPanel(ctx, result, o) {
  const title = `Event study: ${o.measure}, monthly rates around the index date`;
  if (result.missing) return panel(title, [], notYet('Event study'));
  if (result.error) return panel(title, [], problem(result.error));
  const e = result.body;
  const months = e.series.map((p) => String(p.month));
  const suppressedMonths = e.series.filter((p) => p.users === null || p.controls === null);
  const shown = e.series.flatMap((p) => [p.users, p.controls]).filter((v) => v !== null);
  const top = shown.length ? Math.max(...shown) : 1;
  const line = (name, key, color) => ({
    name,
    type: 'line',
    connectNulls: false,
    symbolSize: 5,
    itemStyle: { color },
    data: e.series.map((p) => (p[key] === null ? '-' : p[key])),
  });
  const users = line('Life Rooms users', 'users', '#1d4e89');
  users.markLine = {
    silent: true,
    symbol: 'none',
    lineStyle: { color: '#444' },
    label: { formatter: 'index date' },
    data: [{ xAxis: '0' }],
  };
  users.markArea = {
    silent: true,
    data: [
      ...(e.washoutMonths > 0
        ? [
            [
              {
                xAxis: String(-e.washoutMonths),
                name: 'washout',
                itemStyle: { color: 'rgba(224, 123, 57, 0.12)' },
              },
              { xAxis: '-1' },
            ],
          ]
        : []),
    ],
  };
  const drawn = chart(
    ctx,
    {
      tooltip: {
        trigger: 'axis',
        formatter: (items) =>
          `month ${items[0].name}: ` +
          items
            .filter((i) => i.seriesName !== 'suppressed')
            .map((i) => `${i.seriesName} ${i.value === '-' ? 'suppressed' : i.value}`)
            .join(', '),
      },
      legend: { bottom: 0 },
      grid: { left: 60, right: 30, bottom: 60 },
      xAxis: { type: 'category', data: months, name: 'month' },
      yAxis: { type: 'value', name: e.unit, nameTextStyle: { align: 'left' } },
      series: [
        users,
        line('Matched controls', 'controls', '#e07b39'),
        {
          // A suppressed month is a hatched band across the chart, not a point at any height.
          name: 'suppressed',
          type: 'bar',
          z: 1,
          barWidth: '90%',
          barGap: '-100%',
          itemStyle: { color: SUPPRESSED_COLOUR, decal: SUPPRESSED_DECAL },
          data: e.series.map((p) =>
            p.users === null || p.controls === null ? { value: top, suppressed: true } : '-',
          ),
        },
      ],
    },
    {
      'data-testid': 'event-study',
      'data-months': String(e.series.length),
      'data-suppressed': String(suppressedMonths.length),
      'aria-label': `Event study of ${o.measure}: monthly rates of users and matched controls`,
    },
  );
  const preTrend = o.diagnostics?.preTrend;
  return panel(
    title,
    [csvButton(eventStudyPath(o.measure), `event-study-${o.measure}.csv`)],
    h(
      'p',
      {},
      'Pre-trend verdict: ',
      verdict(preTrend?.passed),
      preTrend
        ? h(
            'span',
            {},
            ' (placebo DiD ',
            value(preTrend.placeboDid),
            ' ',
            interval(preTrend.ci95),
            ')',
          )
        : null,
      `. Matched users `,
      value(e.matchedUsers),
      `; ${e.washoutMonths} washout months before the index date are left out of the baseline.`,
      suppressedMonths.length
        ? h(
            'span',
            {},
            ' ',
            h('span', { class: 'swatch hatched' }),
            ` ${suppressedMonths.length} months suppressed (hatched).`,
          )
        : null,
    ),
    drawn,
  );
}

function didPanel(ctx, o, path) {
  const figures = h(
    'dl',
    { class: 'figures', 'data-testid': 'did-figures', 'data-measure': o.measure },
    h('dt', {}, 'Users'),
    h('dd', { 'data-testid': 'n-users' }, value(o.nUsers)),
    h('dt', {}, 'Matched controls'),
    h('dd', { 'data-testid': 'n-controls' }, value(o.nControls)),
    h('dt', {}, 'Difference in differences'),
    h('dd', { 'data-testid': 'did' }, value(o.did)),
    h('dt', {}, '95% interval'),
    h(
      'dd',
      {},
      '[',
      h('span', { 'data-testid': 'ci-low' }, value(o.ci95[0])),
      ', ',
      h('span', { 'data-testid': 'ci-high' }, value(o.ci95[1])),
      ']',
    ),
    h('dt', {}, 'Unit'),
    h('dd', {}, o.unit),
  );
  const cells = [
    ['users', 'before', o.users.before],
    ['users', 'after', o.users.after],
    ['controls', 'before', o.controls.before],
    ['controls', 'after', o.controls.after],
  ];
  const shown = cells.map((c) => c[2]).filter((v) => v !== null);
  const placeholder = shown.length ? Math.max(...shown) : 1;
  const series = ['users', 'controls'].map((group) => ({
    name: group === 'users' ? 'Life Rooms users' : 'Matched controls',
    type: 'bar',
    itemStyle: { color: group === 'users' ? '#1d4e89' : '#e07b39' },
    data: ['before', 'after'].map((when) => {
      const v = cells.find((c) => c[0] === group && c[1] === when)[2];
      return v === null
        ? {
            value: placeholder,
            suppressed: true,
            itemStyle: { color: SUPPRESSED_COLOUR, decal: SUPPRESSED_DECAL },
            label: { show: true, formatter: 'suppressed', position: 'inside' },
          }
        : { value: v };
    }),
  }));
  const bars = chart(
    ctx,
    {
      title: { text: `${o.measure}: ${o.unit}`, left: 'center', textStyle: { fontSize: 13 } },
      tooltip: {
        trigger: 'item',
        formatter: (p) =>
          `${p.seriesName}, ${p.name} the index date: ${p.data.suppressed ? 'suppressed' : p.value}`,
      },
      legend: { bottom: 0 },
      xAxis: { type: 'category', data: ['before', 'after'] },
      yAxis: { type: 'value', name: o.unit, nameTextStyle: { align: 'left' } },
      series,
    },
    {
      'data-testid': 'did-chart',
      'aria-label': `Rates before and after the index date for ${o.measure}`,
    },
  );
  return panel(
    `Difference in differences: ${o.measure}`,
    [csvButton(path, `outcomes-${o.measure}.csv`)],
    h('div', { class: 'split' }, figures, bars),
  );
}

function measureRows(results) {
  return MEASURES.map((m, i) => {
    const r = results[i];
    if (!r) return { measure: m, failed: 'loading…', pending: true };
    return r.body
      ? { measure: m, ...r.body }
      : { measure: m, failed: r.error?.message ?? 'not available yet' };
  });
}

/** The table so far, while the other measures load one by one. */
function allMeasuresTable(results) {
  const done = results.filter(Boolean).length;
  return panel(
    'Every measure',
    [],
    h('p', { class: 'loading', role: 'status' }, `Loaded ${done} of ${MEASURES.length} measures…`),
    h('div', { class: 'table-wrap' }, measuresTable(measureRows(results))),
  );
}

function allMeasuresPanel(ctx, results) {
  const rows = measureRows(results);
  const ok = rows.filter((r) => !r.failed && r.measure !== 'cost');
  const forest = chart(
    ctx,
    {
      title: {
        text: 'Difference in differences with 95% interval (per person-year)',
        left: 'center',
        textStyle: { fontSize: 13 },
      },
      tooltip: {
        trigger: 'item',
        formatter: (p) => {
          const r = ok[p.dataIndex];
          return r.did === null
            ? `${r.measure}: suppressed`
            : `${r.measure}: ${r.did} [${r.ci95[0]}, ${r.ci95[1]}]`;
        },
      },
      grid: { left: 140, right: 30 },
      xAxis: { type: 'value', name: 'DiD' },
      yAxis: { type: 'category', data: ok.map((r) => r.measure), inverse: true },
      series: [
        {
          type: 'custom',
          name: '95% interval',
          renderItem: (params, api) => {
            const r = ok[params.dataIndex];
            if (r.did === null) return null;
            const low = api.coord([r.ci95[0], params.dataIndex]);
            const high = api.coord([r.ci95[1], params.dataIndex]);
            return {
              type: 'line',
              shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] },
              style: { stroke: '#1d4e89', lineWidth: 2 },
            };
          },
          // Both bounds as x values, so that the axis spans every interval.
          data: ok.map((r, i) => [r.ci95[0] ?? '-', r.ci95[1] ?? '-', i]),
          encode: { x: [0, 1], y: 2 },
        },
        {
          type: 'scatter',
          name: 'DiD',
          symbolSize: 10,
          itemStyle: { color: '#1d4e89' },
          data: ok.map((r, i) => [r.did ?? '-', i]),
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { color: '#888' },
            data: [{ xAxis: 0 }],
          },
        },
      ],
    },
    { 'aria-label': 'Forest plot of the difference in differences per measure' },
  );
  return panel('Every measure', [], forest, h('div', { class: 'table-wrap' }, measuresTable(rows)));
}

function measuresTable(rows) {
  const columns = [
    { key: 'measure', label: 'Measure', render: (r) => r.measure },
    { key: 'nUsers', label: 'Users', render: (r) => (r.failed ? '' : value(r.nUsers)) },
    {
      key: 'ub',
      label: 'Users before',
      render: (r) => (r.failed ? r.failed : value(r.users.before)),
    },
    { key: 'ua', label: 'Users after', render: (r) => (r.failed ? '' : value(r.users.after)) },
    {
      key: 'cb',
      label: 'Controls before',
      render: (r) => (r.failed ? '' : value(r.controls.before)),
    },
    {
      key: 'ca',
      label: 'Controls after',
      render: (r) => (r.failed ? '' : value(r.controls.after)),
    },
    { key: 'did', label: 'DiD', render: (r) => (r.failed ? '' : value(r.did)) },
    {
      key: 'ci',
      label: '95% interval',
      render: (r) => (r.failed ? '' : interval(r.ci95)),
    },
    {
      key: 'diagnostics',
      label: 'Diagnostics',
      render: (r) => (r.failed ? '' : verdict(r.diagnostics?.passed)),
    },
    {
      key: 'csv',
      label: 'CSV',
      render: (r) =>
        r.pending ? '' : csvButton(outcomesPath(r.measure), `outcomes-${r.measure}.csv`, 'CSV'),
    },
  ];
  return table(
    'Users vs matched controls: events per person-year (cost: GBP per person-year), 12 months before and after the index date',
    columns,
    rows,
    { 'data-testid': 'all-measures' },
  );
}

function balancePanel(ctx, result) {
  const title = 'Balance: standardised mean differences before and after matching';
  if (result.missing) return panel(title, [], notYet('Balance'));
  if (result.error) return panel(title, [], problem(result.error));
  const b = result.body;
  const covariates = b.covariates;
  const love = chart(
    ctx,
    {
      tooltip: {
        trigger: 'item',
        formatter: (p) =>
          `${covariates[p.dataIndex].covariate}, ${p.seriesName}: ${p.value[0] === '-' ? 'suppressed' : p.value[0]}`,
      },
      legend: { bottom: 0 },
      grid: { left: 170, right: 30, bottom: 50 },
      xAxis: { type: 'value', name: 'SMD' },
      yAxis: { type: 'category', data: covariates.map((c) => c.covariate), inverse: true },
      series: [
        {
          name: 'before matching',
          type: 'scatter',
          symbol: 'emptyCircle',
          symbolSize: 10,
          itemStyle: { color: '#b5562b' },
          data: covariates.map((c, i) => [c.smdBefore ?? '-', i]),
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { type: 'dashed', color: '#888' },
            data: [{ xAxis: -0.1 }, { xAxis: 0 }, { xAxis: 0.1 }],
          },
        },
        {
          name: 'after matching',
          type: 'scatter',
          symbolSize: 10,
          itemStyle: { color: '#1d4e89' },
          data: covariates.map((c, i) => [c.smdAfter ?? '-', i]),
        },
      ],
    },
    {
      'data-testid': 'love-plot',
      'aria-label': 'Love plot of standardised mean differences',
      style: `height:${Math.max(260, covariates.length * 28 + 80)}px`,
    },
  );
  const summary = h(
    'p',
    {},
    'Cohort users ',
    value(b.cohortUsers),
    ', matched ',
    value(b.matchedUsers),
    ', unmatched ',
    value(b.unmatchedUsers),
    '. ',
    b.balanced === null
      ? 'Balance: suppressed.'
      : b.balanced
        ? 'Every |SMD| after matching is below 0.1.'
        : 'Some |SMD| after matching are 0.1 or more.',
  );
  const columns = [
    { key: 'covariate', label: 'Covariate', render: (r) => r.covariate },
    { key: 'smdBefore', label: 'SMD before' },
    { key: 'smdAfter', label: 'SMD after' },
    { key: 'meanUsersBefore', label: 'Mean, users' },
    { key: 'meanComparisonBefore', label: 'Mean, all non-users' },
    { key: 'meanControlsAfter', label: 'Mean, matched controls' },
  ];
  return panel(
    title,
    [csvButton('/v1/matching/balance', 'matching-balance.csv')],
    summary,
    love,
    h('div', { class: 'table-wrap' }, table('Covariates', columns, covariates)),
  );
}
