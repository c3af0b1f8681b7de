// Areas: the Liverpool City Region by LSOA (ECharts map from the ONS boundaries), suppressed
// areas hatched, and the same by postcode sector and IMD decile as ranked tables.
import { getJson } from './api.js';
import { MEASURES } from './view-evaluation.js';
import {
  chart,
  csvButton,
  h,
  panel,
  problem,
  provenance,
  SUPPRESSED_COLOUR,
  SUPPRESSED_DECAL,
  table,
} from './ui.js';

const MAP_NAME = 'lcr-lsoa2011';
const ATTRIBUTION =
  'Boundaries: Source: Office for National Statistics licensed under the Open Government Licence v3.0. ' +
  'Contains OS data © Crown copyright and database right. ' +
  'English Indices of Deprivation 2019, Ministry of Housing, Communities and Local Government.';

// Each metric reads one controlled value of an area: from the breakdown by LSOA (cohort size,
// the measure's rate) or from the reach route (users per 1,000 residents).
const METRICS = {
  people: { label: 'Cohort size (Life Rooms users)', of: (a) => a.row.people },
  reach: {
    label: 'Life Rooms reach per 1,000 residents',
    of: (a) => a.reach.reachPer1000,
    source: 'reach',
  },
  rate: {
    label: 'Rate per person-year in the year after the index date',
    of: (a) => a.row.ratePerPersonYear,
  },
};

let selectedMeasure = 'crisis';
let selectedMetric = 'people';
let boundaries = null;

async function loadBoundaries() {
  if (!boundaries) {
    const res = await fetch('/web/lcr_lsoa2011_boundaries.geojson', { credentials: 'omit' });
    boundaries = await res.json();
    window.echarts.registerMap(MAP_NAME, boundaries);
  }
  return boundaries;
}

const rerender = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

export async function areasView(ctx) {
  const measure = selectedMeasure;
  const metric = METRICS[selectedMetric];
  const paths = {
    lsoa: `/v1/breakdowns/lsoa?measure=${measure}`,
    sector: `/v1/breakdowns/postcode-sector?measure=${measure}`,
    imd: `/v1/breakdowns/imd-decile?measure=${measure}`,
    reach: '/v1/areas/lsoa',
  };
  // The map first; the ranked tables fill in once it is shown.
  const [geo, lsoa, reach] = await Promise.all([
    loadBoundaries(),
    getJson(paths.lsoa),
    getJson(paths.reach),
  ]);
  const tables = h(
    'div',
    { class: 'two', 'data-testid': 'ranked-tables' },
    panel(
      'By postcode sector and IMD decile',
      [],
      h('p', { class: 'loading', role: 'status' }, 'Loading…'),
    ),
  );
  ctx.onMount(async () => {
    let content;
    try {
      const [sector, imd] = await Promise.all([getJson(paths.sector), getJson(paths.imd)]);
      content = [
        rankedPanel(
          'By postcode sector',
          'Postcode sector',
          sector,
          paths.sector,
          `postcode-sector-${measure}.csv`,
          measure,
          'sector-table',
        ),
        rankedPanel(
          'By IMD decile (1 = most deprived)',
          'IMD decile',
          imd,
          paths.imd,
          `imd-decile-${measure}.csv`,
          measure,
          'imd-table',
        ),
      ];
    } catch (error) {
      content = [problem(error)];
    }
    if (!ctx.disposed) tables.replaceChildren(...content);
  });

  const byCode = new Map(lsoa.rows.map((r) => [r.key, r]));
  const reachByCode = new Map(reach.areas.map((r) => [r.lsoa, r]));
  let published = 0;
  let suppressed = 0;
  let none = 0;
  const data = geo.features.map((f) => {
    const p = f.properties;
    const area = {
      row: byCode.get(p.lsoa11cd) ?? null,
      reach: reachByCode.get(p.lsoa11cd) ?? null,
    };
    const base = { name: p.lsoa11cd, lsoa: p, ...area };
    if (!(metric.source === 'reach' ? area.reach : area.row)) {
      none++;
      return { ...base, value: '-', itemStyle: { areaColor: '#ffffff' } };
    }
    const v = metric.of(area);
    if (v === null) {
      suppressed++;
      return {
        ...base,
        value: '-',
        suppressed: true,
        itemStyle: { areaColor: SUPPRESSED_COLOUR, decal: SUPPRESSED_DECAL },
      };
    }
    published++;
    return { ...base, value: v };
  });
  const values = data.filter((d) => typeof d.value === 'number').map((d) => d.value);

  const map = chart(
    ctx,
    {
      tooltip: {
        trigger: 'item',
        formatter: (p) => {
          const d = p.data;
          if (!d) return p.name;
          const lines = [
            `<b>${escape(d.lsoa.lsoa11nm)}</b> (${d.lsoa.lsoa11cd})`,
            `${escape(d.lsoa.local_authority)}, IMD decile ${d.lsoa.imd_decile}`,
          ];
          const shown = (v) => (v === null ? 'suppressed' : v);
          if (d.reach)
            lines.push(
              `residents: ${shown(d.reach.residents)}, reach per 1,000: ${shown(d.reach.reachPer1000)}`,
            );
          if (!d.row) lines.push('no Life Rooms users recorded');
          else {
            lines.push(`users: ${d.row.people === null ? 'suppressed' : d.row.people}`);
            if ('events' in d.row)
              lines.push(
                `${measure} events: ${d.row.events === null ? 'suppressed' : d.row.events}`,
              );
            lines.push(
              `${measure} per person-year: ${d.row.ratePerPersonYear === null ? 'suppressed' : d.row.ratePerPersonYear}`,
            );
          }
          return lines.join('<br>');
        },
      },
      visualMap: {
        type: 'continuous',
        min: values.length ? Math.min(...values) : 0,
        max: values.length ? Math.max(...values, Math.min(...values) + 1) : 1,
        calculable: true,
        left: 10,
        bottom: 20,
        text: ['high', 'low'],
        inRange: { color: ['#deebf7', '#6baed6', '#08306b'] },
        outOfRange: { color: SUPPRESSED_COLOUR },
      },
      series: [
        {
          type: 'map',
          map: MAP_NAME,
          nameProperty: 'lsoa11cd',
          roam: true,
          aspectScale: 0.62,
          layoutCenter: ['52%', '50%'],
          layoutSize: '100%',
          itemStyle: { borderColor: '#999', borderWidth: 0.3 },
          emphasis: { label: { show: false }, itemStyle: { areaColor: '#f6c244' } },
          select: { disabled: true },
          data,
        },
      ],
    },
    {
      class: 'chart map',
      'data-testid': 'lsoa-map',
      'data-metric': selectedMetric,
      'aria-label': `Map of ${metric.label} by LSOA`,
    },
  );

  const controls = h(
    'div',
    { class: 'controls' },
    h('label', { for: 'area-measure' }, 'Measure '),
    h(
      'select',
      { id: 'area-measure', onchange: (e) => ((selectedMeasure = e.target.value), rerender()) },
      MEASURES.map((m) => h('option', { value: m, selected: m === measure }, m)),
    ),
    h('label', { for: 'area-metric' }, ' Show '),
    h(
      'select',
      { id: 'area-metric', onchange: (e) => ((selectedMetric = e.target.value), rerender()) },
      Object.entries(METRICS).map(([k, m]) =>
        h('option', { value: k, selected: k === selectedMetric }, m.label),
      ),
    ),
  );
  const legend = h(
    'p',
    {
      'data-testid': 'map-summary',
      'data-areas': geo.features.length,
      'data-suppressed': suppressed,
      'data-published': published,
    },
    `${geo.features.length} areas drawn: ${published} with a published value, `,
    h('span', { class: 'swatch hatched', 'aria-hidden': 'true' }),
    ` ${suppressed} suppressed (hatched), `,
    h('span', { class: 'swatch blank', 'aria-hidden': 'true' }),
    ` ${none} ${metric.source === 'reach' ? 'with no residents recorded' : 'with no Life Rooms users recorded'}.`,
  );
  return h(
    'div',
    { class: 'view areas' },
    controls,
    panel(
      metric.source === 'reach' ? `${metric.label} by LSOA` : `${metric.label} by LSOA: ${measure}`,
      [
        csvButton(paths.lsoa, `lsoa-${measure}.csv`, 'CSV: by LSOA'),
        csvButton(paths.reach, 'lsoa-reach.csv', 'CSV: reach'),
      ],
      legend,
      map,
      h('p', { class: 'attribution' }, ATTRIBUTION),
    ),
    tables,
    provenance(lsoa.provenance),
  );
}

function rankedPanel(title, keyLabel, result, path, filename, measure, testid) {
  // Ranked by the published value; suppressed rows go last, in key order, never ranked as 0.
  const key = selectedMetric === 'rate' ? 'ratePerPersonYear' : 'people';
  const rows = [...result.rows].sort((a, b) => {
    if (a[key] === null && b[key] === null) return 0;
    if (a[key] === null) return 1;
    if (b[key] === null) return -1;
    return b[key] - a[key];
  });
  let rank = 0;
  const columns = [
    { key: 'rank', label: 'Rank', render: (r) => (r[key] === null ? '–' : String(++rank)) },
    { key: 'key', label: keyLabel, render: (r) => r.key },
    { key: 'people', label: 'Users' },
    ...(result.rows.some((r) => 'events' in r)
      ? [{ key: 'events', label: `${measure} events` }]
      : []),
    { key: 'ratePerPersonYear', label: 'Per person-year' },
  ];
  // The rank column is the header cell of each row; keep the key readable as the second.
  return panel(
    title,
    [csvButton(path, filename)],
    h(
      'div',
      { class: 'table-wrap tall' },
      table(
        `${result.rows.length} rows; ${result.cellsSuppressed} cells suppressed`,
        columns,
        rows,
        { 'data-testid': testid },
      ),
    ),
  );
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
