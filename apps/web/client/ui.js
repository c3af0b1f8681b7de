// Small DOM helpers shared by the views. Text goes in as text nodes, never as HTML.
import { downloadCsv } from './api.js';

/** `h('p', { class: 'x' }, 'text', child)`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function')
      el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const SUPPRESSED_TEXT = 'suppressed';

/** A controlled value as the API gave it: `null` is suppressed, never zero. */
export function value(v, digits = 4) {
  if (v === null || v === undefined)
    return h('span', { class: 'suppressed', title: 'suppressed: small numbers' }, SUPPRESSED_TEXT);
  if (typeof v === 'number') return String(Number(v.toFixed(digits)));
  return String(v);
}

/** A table from column specs `{ key, label, render? }`, with a caption. */
export function table(caption, columns, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c.label)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          {},
          columns.map((c, i) => {
            const content = c.render ? c.render(row) : value(row[c.key]);
            return i === 0 ? h('th', { scope: 'row' }, content) : h('td', {}, content);
          }),
        ),
      ),
    ),
  );
}

/** A button that downloads a route as CSV through the API (same gate, same audit). */
export function csvButton(path, filename, label = 'Download CSV') {
  const status = h('span', { class: 'csv-status', role: 'status' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'csv',
      'data-csv': path,
      onclick: async () => {
        status.textContent = '';
        try {
          await downloadCsv(path, filename);
        } catch (error) {
          status.textContent = error.message;
        }
      },
    },
    label,
  );
  return h('span', { class: 'csv-wrap' }, button, status);
}

/** A panel: heading, actions (CSV buttons) and body. */
export function panel(title, actions, ...body) {
  return h(
    'section',
    { class: 'panel', 'aria-label': title },
    h('div', { class: 'panel-head' }, h('h2', {}, title), h('div', { class: 'actions' }, actions)),
    ...body,
  );
}

/** "not available yet" for a route another part of the service has not delivered. */
export function notYet(what) {
  return h('p', { class: 'not-yet', 'data-not-available': what }, `${what}: not available yet.`);
}

/** An error in words, in place of a view or panel. */
export function problem(error) {
  const refused = error && (error.status === 401 || error.status === 403);
  return h(
    'p',
    { class: refused ? 'refused' : 'error', role: 'alert', 'data-reason': error?.reason ?? '' },
    refused ? `Refused. ${error.message}` : `Could not load: ${error?.message ?? error}`,
  );
}

/** Where the numbers come from: event position, matching settings, policy, versions. */
export function provenance(p) {
  if (!p) return null;
  const rows = [];
  const add = (label, v) =>
    rows.push(h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, v)));
  if (p.eventStorePosition !== undefined)
    add('event store position', p.eventStorePosition || '(none)');
  if (p.matching) {
    const m = p.matching;
    add(
      'matching',
      `k=${m.k}, seed=${m.seed}, exact on ${m.exact.join(', ')}, age bands of ${m.ageBandYears} years, prior use over ${m.priorMonths} months`,
    );
    add('matched at position', m.matchedAtPosition ?? '(not matched)');
  }
  if (p.disclosurePolicy)
    add(
      'disclosure control',
      `counts 1-${p.disclosurePolicy.threshold} suppressed, others rounded to the nearest ${p.disclosurePolicy.rounding}`,
    );
  if (p.unitCostVersion !== undefined) add('unit costs', p.unitCostVersion ?? '(none)');
  if (p.publishingPolicy)
    add('publishing gate', p.publishingPolicy.version ?? String(p.publishingPolicy));
  for (const [k, v] of Object.entries(p)) {
    if (
      ![
        'eventStorePosition',
        'matching',
        'disclosurePolicy',
        'unitCostVersion',
        'publishingPolicy',
      ].includes(k)
    )
      add(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return h(
    'details',
    { class: 'provenance' },
    h('summary', {}, 'Provenance'),
    h('table', {}, h('tbody', {}, rows)),
  );
}

/** An ECharts chart in a sized box, disposed when the view changes. */
export function chart(view, option, attrs = {}) {
  const el = h('div', { class: 'chart', role: 'img', ...attrs });
  view.onMount(() => {
    const instance = window.echarts.init(el, null, { renderer: 'canvas' });
    instance.setOption({ aria: { enabled: true }, animation: false, ...option });
    view.onDispose(() => instance.dispose());
  });
  return el;
}

/** Stripes for suppressed values: drawn, and visibly not a number. */
export const SUPPRESSED_DECAL = {
  symbol: 'rect',
  symbolSize: 1,
  dashArrayX: [1, 0],
  dashArrayY: [2, 5],
  rotation: -Math.PI / 4,
  color: 'rgba(80, 80, 80, 0.55)',
};
export const SUPPRESSED_COLOUR = '#e6e6e6';

/** A slot shown at once with a loading line, filled in after the view is drawn. */
export function slot(testid, title) {
  return h(
    'div',
    { 'data-testid': testid, 'data-state': 'loading' },
    panel(
      title,
      [],
      h('p', { class: 'loading', role: 'status' }, `Loading ${title.toLowerCase()}…`),
    ),
  );
}

/** Fills a slot and marks it loaded (tests wait for `data-state`). */
export function fill(el, ...content) {
  el.replaceChildren(...content);
  el.setAttribute('data-state', 'loaded');
}
