// Evaluation: users and matched controls before and after the index date, the difference in
// differences with its interval, balance (love plot), and the diagnostics once they exist.
import { ApiError, getJson } from './api.js';
import {
  chart,
  csvButton,
  h,
  notYet,
  panel,
  problem,
  provenance,
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

/** Diagnostics routes delivered by the estimator-validity work; "not available yet" until then. */
const DIAGNOSTICS = [
  {
    title: 'Event study (monthly rates around the index date)',
    path: (m) => `/v1/diagnostics/event-study?measure=${m}`,
  },
  { title: 'Negative control', path: (m) => `/v1/diagnostics/negative-control?measure=${m}` },
];

let selectedMeasure = 'crisis';

async function optional(path) {
  try {
    return { body: await getJson(path) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { missing: true };
    if (error.status === 401) throw error;
    return { error };
  }
}

export async function evaluationView(ctx) {
  const measure = selectedMeasure;
  const outcomesPath = (m) => `/v1/outcomes?measure=${m}&before=12&after=12`;
  const [selected, balance, ...diagnostics] = await Promise.all([
    getJson(outcomesPath(measure)),
    optional('/v1/matching/balance'),
    ...DIAGNOSTICS.map((d) => optional(d.path(measure))),
  ]);
  // The other measures fill in after the view is shown (each runs its own bootstrap).
  const others = h(
    'div',
    { 'data-testid': 'all-measures-panel' },
    panel(
      'Every measure',
      [],
      h('p', { class: 'loading', role: 'status' }, 'Loading every measure…'),
    ),
  );
  ctx.onMount(async () => {
    const results = [];
    for (const m of MEASURES) {
      if (ctx.disposed) return;
      results.push(m === measure ? { body: selected } : await optional(outcomesPath(m)));
    }
    if (!ctx.disposed) others.replaceChildren(allMeasuresPanel(ctx, results));
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
    others,
    balancePanel(ctx, balance),
    ...DIAGNOSTICS.map((d, i) => {
      const r = diagnostics[i];
      if (r.missing) return panel(d.title, [], notYet(d.title));
      if (r.error) return panel(d.title, [], problem(r.error));
      return panel(
        d.title,
        [csvButton(d.path(measure), `${measure}-diagnostic.csv`)],
        h('pre', {}, JSON.stringify(r.body, null, 2)),
      );
    }),
    provenance(selected.provenance),
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

function allMeasuresPanel(ctx, results) {
  const rows = MEASURES.map((m, i) => {
    const r = results[i];
    return r.body
      ? { measure: m, ...r.body }
      : { measure: m, failed: r.error?.message ?? 'not available yet' };
  });
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
  const columns = [
    { key: 'measure', label: 'Measure', render: (r) => r.measure },
    { key: 'nUsers', label: 'Users' },
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
      render: (r) =>
        r.failed ? '' : h('span', {}, '[', value(r.ci95[0]), ', ', value(r.ci95[1]), ']'),
    },
    {
      key: 'csv',
      label: 'CSV',
      render: (r) =>
        csvButton(
          `/v1/outcomes?measure=${r.measure}&before=12&after=12`,
          `outcomes-${r.measure}.csv`,
          'CSV',
        ),
    },
  ];
  return panel(
    'Every measure',
    [],
    forest,
    h(
      'div',
      { class: 'table-wrap' },
      table(
        'Users vs matched controls: events per person-year (cost: GBP per person-year), 12 months before and after the index date',
        columns,
        rows,
        { 'data-testid': 'all-measures' },
      ),
    ),
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
