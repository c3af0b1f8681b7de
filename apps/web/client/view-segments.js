// Segments (System P style): sizes at the latest run and the change since the run before, one
// segment's members by area, its size over the runs, and the Life Rooms lens. Every number is
// the API's after disclosure control: a suppressed size is drawn hatched, never as 0.
import { ApiError, getJson, optional } from './api.js';
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

const SEGMENTS_PATH = '/v1/segments';
const AREA_LEVELS = [
  ['local-authority', 'local authority'],
  ['postcode-district', 'postcode district'],
  ['postcode-sector', 'postcode sector'],
  ['lsoa', 'LSOA'],
  ['imd-decile', 'IMD decile'],
];

const state = { ruleset: null, segment: null, level: 'local-authority' };

function rerender() {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export async function segmentsView(ctx) {
  let body;
  try {
    body = await getJson(SEGMENTS_PATH);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return h(
        'div',
        { class: 'view segments' },
        panel(
          'Segments',
          [],
          notYet('Segments (sizes, change since the last run, by area, the Life Rooms lens)'),
        ),
      );
    }
    throw error;
  }
  const segments = body.segments ?? [];
  const runs = body.provenance?.runs ?? [];
  const ranRulesets = runs.map((r) => r.ruleset);
  if (ranRulesets.length === 0) {
    return h(
      'div',
      { class: 'view segments' },
      panel(
        'Segments',
        [],
        h(
          'p',
          { class: 'not-yet', 'data-testid': 'no-runs' },
          'No segmentation runs yet: segments appear here after `linkage segment run`.',
        ),
      ),
      provenance(body.provenance),
    );
  }
  if (!ranRulesets.includes(state.ruleset)) state.ruleset = ranRulesets[0];
  const inRuleset = segments.filter((s) => s.ruleset === state.ruleset);
  if (!inRuleset.some((s) => s.id === state.segment)) {
    // The largest top-level segment first: the one most likely to have published numbers.
    const top = inRuleset.filter((s) => !s.parent);
    state.segment = [...top].sort((a, b) => (b.size ?? -1) - (a.size ?? -1))[0]?.id ?? null;
  }
  const segment = inRuleset.find((s) => s.id === state.segment);

  const controls = h(
    'div',
    { class: 'controls' },
    h('label', { for: 'ruleset' }, 'Ruleset '),
    h(
      'select',
      {
        id: 'ruleset',
        onchange: (event) => {
          state.ruleset = event.target.value;
          state.segment = null;
          rerender();
        },
      },
      ranRulesets.map((r) => h('option', { value: r, selected: r === state.ruleset }, r)),
    ),
    ' ',
    h('label', { for: 'segment' }, 'Segment '),
    h(
      'select',
      {
        id: 'segment',
        onchange: (event) => {
          state.segment = event.target.value;
          rerender();
        },
      },
      inRuleset.map((s) =>
        h(
          'option',
          { value: s.id, selected: s.id === state.segment },
          s.parent ? `  ${s.name} (${s.id})` : `${s.name} (${s.id})`,
        ),
      ),
    ),
  );

  const lensSlot = slot('segment-lens-panel', 'The Life Rooms lens');
  const areasSlot = slot('segment-areas-panel', 'Members by area');
  const trendSlot = slot('segment-trend-panel', 'Size at every run');
  if (segment) {
    ctx.onMount(async () => {
      // One at a time, cheapest first: the lens may estimate an outcome within the segment.
      const id = encodeURIComponent(segment.id);
      const trend = await optional(`${SEGMENTS_PATH}/${id}/trend`);
      if (ctx.disposed) return;
      fill(trendSlot, trendPanel(ctx, segment, trend));
      const areas = await optional(`${SEGMENTS_PATH}/${id}/areas?level=${state.level}`);
      if (ctx.disposed) return;
      fill(areasSlot, areasPanel(ctx, segment, areas));
      const lens = await optional(`${SEGMENTS_PATH}/${id}`);
      if (ctx.disposed) return;
      fill(lensSlot, lensPanel(segment, lens));
    });
  }

  return h(
    'div',
    { class: 'view segments' },
    controls,
    sizesPanel(ctx, inRuleset, state.ruleset),
    segment ? [lensSlot, trendSlot, areasSlot] : null,
    provenance(body.provenance),
  );
}

/** A bar for a published count, or a hatched full-height bar labelled "suppressed". */
function bar(v, placeholder) {
  return v === null
    ? {
        value: placeholder,
        suppressed: true,
        itemStyle: { color: SUPPRESSED_COLOUR, decal: SUPPRESSED_DECAL },
        label: { show: true, formatter: 'suppressed', position: 'insideLeft' },
      }
    : { value: v };
}

function sizesPanel(ctx, rows, ruleset) {
  const top = rows.filter((s) => !s.parent);
  const shown = top.map((s) => s.size).filter((v) => v !== null);
  const placeholder = shown.length ? Math.max(...shown) : 1;
  const sizes = chart(
    ctx,
    {
      tooltip: {
        trigger: 'item',
        formatter: (p) => `${p.name}: ${p.data.suppressed ? 'suppressed' : p.value}`,
      },
      grid: { left: 230, right: 40, top: 10, bottom: 30 },
      xAxis: { type: 'value', name: 'people' },
      yAxis: { type: 'category', data: top.map((s) => s.name), inverse: true },
      series: [
        {
          type: 'bar',
          name: 'size',
          itemStyle: { color: '#1d4e89' },
          data: top.map((s) => bar(s.size, placeholder)),
        },
      ],
    },
    {
      'data-testid': 'segment-sizes-chart',
      'aria-label': `Sizes of the ${ruleset} segments at the latest run`,
      style: `height:${Math.max(200, top.length * 30 + 60)}px`,
    },
  );
  const columns = [
    { key: 'id', label: 'Segment', render: (r) => r.id },
    { key: 'name', label: 'Name', render: (r) => (r.parent ? `↳ ${r.name}` : r.name) },
    { key: 'size', label: 'Size' },
    {
      key: 'changeSincePreviousRun',
      label: 'Change since the run before',
      // No change is given when the size is suppressed, or when there is no run before (or
      // its size was suppressed): the list does not say which, so neither is drawn as a number.
      render: (r) =>
        r.size === null || r.changeSincePreviousRun !== null
          ? value(r.changeSincePreviousRun)
          : h(
              'span',
              { class: 'not-given', title: 'no run before this one, or its size was suppressed' },
              '–',
            ),
    },
    { key: 'lastRunAsOf', label: 'Latest run as of', render: (r) => r.lastRunAsOf ?? '' },
  ];
  const path = `${SEGMENTS_PATH}?ruleset=${encodeURIComponent(ruleset)}`;
  return panel(
    `Segment sizes: ${ruleset}`,
    [csvButton(path, `segments-${ruleset}.csv`)],
    sizes,
    h(
      'div',
      { class: 'table-wrap' },
      table(
        'Segment sizes at the latest run (people), and the change since the run before',
        columns,
        rows,
        { 'data-testid': 'segment-sizes' },
      ),
    ),
  );
}

function failed(title, result, what) {
  if (result.missing) {
    return panel(
      title,
      [],
      result.reason
        ? h('p', { class: 'not-yet' }, `${what}: not found (${result.reason}).`)
        : notYet(what),
    );
  }
  return panel(title, [], problem(result.error));
}

function lensPanel(segment, result) {
  const title = `The Life Rooms lens: ${segment.name}`;
  if (!result.body) return failed(title, result, 'The Life Rooms lens');
  const s = result.body;
  const l = s.lifeRooms;
  const o = l.outcome;
  const figures = h(
    'dl',
    { class: 'figures', 'data-testid': 'segment-lens', 'data-segment': s.id },
    h('dt', {}, 'Size at the latest run'),
    h('dd', { 'data-testid': 'segment-size' }, value(s.size)),
    h('dt', {}, 'Current members'),
    h('dd', {}, value(l.members)),
    h('dt', {}, 'Life Rooms users'),
    h('dd', { 'data-testid': 'segment-users' }, value(l.lifeRoomsUsers)),
    h('dt', {}, 'Non-users'),
    h('dd', {}, value(l.nonUsers)),
    h('dt', {}, `Outcome (${l.outcomeMeasure}), DiD`),
    h(
      'dd',
      {},
      o
        ? h(
            'span',
            {},
            value(o.did),
            ' [',
            value(o.ci95?.[0] ?? null),
            ', ',
            value(o.ci95?.[1] ?? null),
            `] ${o.unit ?? ''}`,
          )
        : h(
            'span',
            { class: 'not-yet' },
            l.outcomeWithheld === 'segment_too_small'
              ? `not estimated: fewer than ${l.outcomeMinimumUsers} Life Rooms users in the segment`
              : `not estimated (${l.outcomeWithheld})`,
          ),
    ),
  );
  return panel(
    title,
    [csvButton(`${SEGMENTS_PATH}/${encodeURIComponent(s.id)}`, `segment-${s.id}.csv`)],
    s.description ? h('p', {}, s.description) : null,
    figures,
    s.criteria
      ? h(
          'details',
          {},
          h('summary', {}, 'Criteria'),
          h('pre', {}, JSON.stringify(s.criteria, null, 2)),
        )
      : null,
  );
}

function trendPanel(ctx, segment, result) {
  const title = `Size at every run: ${segment.name}`;
  if (!result.body) return failed(title, result, 'Segment trend');
  const runs = result.body.runs;
  const shown = runs.map((r) => r.size).filter((v) => v !== null);
  const placeholder = shown.length ? Math.max(...shown) : 1;
  const trend = chart(
    ctx,
    {
      tooltip: {
        trigger: 'item',
        formatter: (p) => `run as of ${p.name}: ${p.data.suppressed ? 'suppressed' : p.value}`,
      },
      grid: { left: 60, right: 30, top: 20, bottom: 40 },
      xAxis: { type: 'category', data: runs.map((r) => r.asOf) },
      yAxis: { type: 'value', name: 'people' },
      series: [
        {
          type: 'bar',
          name: 'size',
          barMaxWidth: 60,
          itemStyle: { color: '#1d4e89' },
          data: runs.map((r) => ({
            ...bar(r.size, placeholder),
            label: r.size === null ? { show: true, formatter: 'suppressed' } : undefined,
          })),
        },
      ],
    },
    { 'data-testid': 'segment-trend', 'aria-label': `Size of ${segment.name} at every run` },
  );
  const columns = [
    { key: 'asOf', label: 'Run as of', render: (r) => r.asOf },
    { key: 'rulesetVersion', label: 'Ruleset version', render: (r) => r.rulesetVersion },
    { key: 'size', label: 'Size' },
    {
      key: 'changeSincePreviousRun',
      label: 'Change since the run before',
      render: (r) =>
        runs.indexOf(r) === 0
          ? h('span', { class: 'not-given' }, 'first run')
          : value(r.changeSincePreviousRun),
    },
  ];
  return panel(
    title,
    [
      csvButton(
        `${SEGMENTS_PATH}/${encodeURIComponent(segment.id)}/trend`,
        `trend-${segment.id}.csv`,
      ),
    ],
    trend,
    h('div', { class: 'table-wrap' }, table('Runs', columns, runs)),
  );
}

function areasPanel(ctx, segment, result) {
  const title = `Members by area: ${segment.name}`;
  const level = h(
    'select',
    {
      id: 'segment-level',
      onchange: (event) => {
        state.level = event.target.value;
        rerender();
      },
    },
    AREA_LEVELS.map(([v, label]) => h('option', { value: v, selected: v === state.level }, label)),
  );
  const controls = h(
    'div',
    { class: 'controls' },
    h('label', { for: 'segment-level' }, 'By '),
    level,
  );
  if (!result.body) return h('div', {}, controls, failed(title, result, 'Segment areas'));
  const a = result.body;
  const areas = a.areas;
  const path = `${SEGMENTS_PATH}/${encodeURIComponent(segment.id)}/areas?level=${a.level}`;
  const shown = areas.flatMap((r) => [r.lifeRoomsUsers, r.nonUsers]).filter((v) => v !== null);
  const placeholder = shown.length ? Math.max(...shown) : 1;
  const drawn =
    areas.length <= 30
      ? chart(
          ctx,
          {
            tooltip: {
              trigger: 'item',
              formatter: (p) =>
                `${p.name}, ${p.seriesName}: ${p.data.suppressed ? 'suppressed' : p.value}`,
            },
            legend: { bottom: 0 },
            grid: { left: 170, right: 40, top: 10, bottom: 50 },
            xAxis: { type: 'value', name: 'people' },
            yAxis: { type: 'category', data: areas.map((r) => r.area), inverse: true },
            series: [
              ['lifeRoomsUsers', 'Life Rooms users', '#1d4e89'],
              ['nonUsers', 'Non-users', '#e07b39'],
            ].map(([key, name, color]) => ({
              type: 'bar',
              name,
              itemStyle: { color },
              data: areas.map((r) => bar(r[key], placeholder)),
            })),
          },
          {
            'data-testid': 'segment-areas-chart',
            'aria-label': `Members of ${segment.name} by area`,
            style: `height:${Math.max(220, areas.length * 34 + 70)}px`,
          },
        )
      : null;
  const columns = [
    { key: 'area', label: 'Area', render: (r) => r.area },
    { key: 'members', label: 'Members' },
    { key: 'lifeRoomsUsers', label: 'Life Rooms users' },
    { key: 'nonUsers', label: 'Non-users' },
  ];
  return h(
    'div',
    {},
    controls,
    panel(
      title,
      [csvButton(path, `segment-${segment.id}-${a.level}.csv`)],
      h(
        'p',
        {},
        'Members ',
        value(a.totalMembers),
        ', of whom Life Rooms users ',
        value(a.totalLifeRoomsUsers),
        `; ${a.cellsSuppressed} cells suppressed.`,
      ),
      drawn,
      h(
        'div',
        { class: 'table-wrap' },
        table(`Members by ${a.level}`, columns, areas, { 'data-testid': 'segment-areas' }),
      ),
    ),
  );
}
