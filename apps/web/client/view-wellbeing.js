// Wellbeing: SWEMWBS metric scores at baseline and follow-up, the change and how many changed.
import { getJson } from './api.js';
import {
  chart,
  csvButton,
  h,
  panel,
  provenance,
  SUPPRESSED_COLOUR,
  SUPPRESSED_DECAL,
  table,
  value,
} from './ui.js';

export async function wellbeingView(ctx) {
  const [w, d] = await Promise.all([
    getJson('/v1/wellbeing'),
    getJson('/v1/wellbeing/distributions'),
  ]);
  const figures = h(
    'dl',
    { class: 'figures', 'data-testid': 'wellbeing-figures' },
    ...[
      ['People with a baseline', w.peopleWithBaseline],
      ['People with a follow-up', w.peopleWithFollowUp],
      ['Mean baseline (metric)', w.meanBaseline],
      ['Mean follow-up (metric)', w.meanFollowUp],
      ['Mean change', w.meanChange],
    ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, value(v))]),
    h('dt', {}, '95% interval of the change'),
    h('dd', {}, '[', value(w.ci95[0]), ', ', value(w.ci95[1]), ']'),
  );
  const means = [
    ['baseline', w.meanBaseline],
    ['follow-up', w.meanFollowUp],
  ];
  const meansChart = chart(
    ctx,
    {
      title: { text: 'Mean SWEMWBS metric score', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: {
        trigger: 'item',
        formatter: (p) => `${p.name}: ${p.data.suppressed ? 'suppressed' : p.value}`,
      },
      xAxis: { type: 'category', data: means.map((m) => m[0]) },
      yAxis: { type: 'value', min: 7, max: 35, name: 'metric score' },
      series: [
        { type: 'bar', data: means.map(([, v]) => bar(v, 35)), itemStyle: { color: '#1d4e89' } },
      ],
    },
    { 'aria-label': 'Mean SWEMWBS score at baseline and follow-up' },
  );
  const categories = w.changeCategories;
  const shown = categories.map((c) => c.people).filter((v) => v !== null);
  const categoryChart = chart(
    ctx,
    {
      title: {
        text: `Change of at least ${w.meaningfulChange} points`,
        left: 'center',
        textStyle: { fontSize: 13 },
      },
      tooltip: {
        trigger: 'item',
        formatter: (p) => `${p.name}: ${p.data.suppressed ? 'suppressed' : p.value} people`,
      },
      xAxis: { type: 'category', data: categories.map((c) => c.category.replace(/_/g, ' ')) },
      yAxis: { type: 'value', name: 'people' },
      series: [
        {
          type: 'bar',
          data: categories.map((c) => bar(c.people, shown.length ? Math.max(...shown) : 1)),
          itemStyle: { color: '#4a8c5c' },
        },
      ],
    },
    { 'aria-label': 'People whose wellbeing improved, did not change meaningfully, or worsened' },
  );
  return h(
    'div',
    { class: 'view wellbeing' },
    panel(
      'SWEMWBS (Short Warwick-Edinburgh Mental Wellbeing Scale)',
      [csvButton('/v1/wellbeing', 'wellbeing.csv')],
      h('div', { class: 'split' }, figures, meansChart),
    ),
    panel(
      'Change between baseline and follow-up',
      [csvButton('/v1/wellbeing', 'wellbeing.csv')],
      h(
        'div',
        { class: 'split' },
        table(
          'People by change',
          [
            { key: 'category', label: 'Change', render: (r) => r.category.replace(/_/g, ' ') },
            { key: 'people', label: 'People' },
          ],
          categories,
        ),
        categoryChart,
      ),
    ),
    distributionsPanel(ctx, d),
    h(
      'p',
      { class: 'attribution' },
      'SWEMWBS © NHS Health Scotland, University of Warwick and University of Edinburgh, 2008, all rights reserved.',
    ),
    provenance(w.provenance),
  );
}

/**
 * Baseline and follow-up scores side by side, binned by the API. A suppressed bin is drawn as a
 * hatched bar of the tallest published height, labelled suppressed: visibly not a number.
 */
function distributionsPanel(ctx, d) {
  const bins = d.baseline.map((b) => b.bin);
  const shown = [...d.baseline, ...d.followUp].map((b) => b.people).filter((v) => v !== null);
  const top = shown.length ? Math.max(...shown) : 1;
  const series = (name, rows, color) => ({
    name,
    type: 'bar',
    // Narrow bars: the suppressed label reads upwards.
    data: rows.map((b) =>
      b.people === null
        ? { ...bar(null, top), label: { show: true, rotate: 90, formatter: 'suppressed' } }
        : bar(b.people, top),
    ),
    itemStyle: { color },
  });
  const distributionChart = chart(
    ctx,
    {
      title: {
        text: 'People by SWEMWBS metric score',
        left: 'center',
        textStyle: { fontSize: 13 },
      },
      legend: { top: 22 },
      grid: { top: 60, left: 50, right: 20, bottom: 50 },
      tooltip: {
        trigger: 'item',
        formatter: (p) =>
          `${p.seriesName}, score ${p.name}: ${p.data.suppressed ? 'suppressed' : p.value} people`,
      },
      xAxis: {
        type: 'category',
        data: bins,
        name: 'metric score',
        nameLocation: 'middle',
        nameGap: 30,
      },
      yAxis: { type: 'value', name: 'people' },
      series: [
        series('baseline', d.baseline, '#1d4e89'),
        series('follow-up', d.followUp, '#4a8c5c'),
      ],
    },
    {
      'aria-label': 'Distributions of SWEMWBS metric scores at baseline and follow-up',
      'data-testid': 'distribution-chart',
    },
  );
  const rows = d.baseline.map((b, i) => ({
    bin: b.bin,
    baseline: b.people,
    followUp: d.followUp[i].people,
  }));
  return panel(
    'Distributions of baseline and follow-up scores',
    [csvButton('/v1/wellbeing/distributions', 'wellbeing-distributions.csv')],
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        { class: 'table-wrap' },
        table(
          `People by metric score (bins of ${d.binWidth} points)`,
          [
            { key: 'bin', label: 'Score', render: (r) => r.bin },
            { key: 'baseline', label: 'Baseline' },
            { key: 'followUp', label: 'Follow-up' },
          ],
          rows,
          { 'data-testid': 'distribution-table' },
        ),
      ),
      distributionChart,
    ),
  );
}

function bar(v, placeholder) {
  return v === null
    ? {
        value: placeholder,
        suppressed: true,
        itemStyle: { color: SUPPRESSED_COLOUR, decal: SUPPRESSED_DECAL },
        label: { show: true, formatter: 'suppressed' },
      }
    : { value: v };
}
