// Governance (officers): the audit trail with search and filters, chain verification, the
// monthly access report, release requests awaiting review. An analyst is refused by the API
// itself, and the refusal is audited. An output checker sees the requests awaiting review only.
import { ApiError, getJson } from './api.js';
import { csvButton, h, notYet, panel, table } from './ui.js';

const ROLES = ['', 'analyst', 'governance-officer', 'ingest', 'segmentation-job', 'admin'];
const OUTCOMES = ['', 'ok', 'denied', 'error'];
const PAGE_SIZE = 25;
let filters = {};
let page = 1;
let month = new Date().toISOString().slice(0, 7);

const rerender = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

function query(extra = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra }))
    if (v !== undefined && v !== '') params.set(k, String(v));
  return params.toString();
}

const PENDING_RELEASES = '/v1/releases?status=requested';

export async function governanceView(ctx, session) {
  const permissions = session?.permissions ?? [];
  if (!permissions.includes('read:audit') && permissions.includes('release:review')) {
    // An output checker: their work is the queue; the trail itself is for governance officers.
    const releases = await pendingReleases();
    const versions = [
      ...new Set((releases?.releases ?? []).map((r) => r.gateReport.policyVersion)),
    ];
    return h(
      'div',
      { class: 'view governance' },
      releasesPanel(releases),
      h(
        'p',
        { class: 'help' },
        'The audit trail, its verification and the monthly access report are for governance officers.',
      ),
      h(
        'details',
        { class: 'provenance' },
        h('summary', {}, 'Provenance'),
        h(
          'p',
          {},
          `Requests as the release review held them at ${new Date().toLocaleString('en-GB')}; each output was gated when requested, by publishing policy ${versions.join(', ') || '(none listed)'}.`,
        ),
      ),
    );
  }
  // Verification first: an analyst is refused here (403), and the page says so plainly.
  const verification = await getJson('/v1/audit/verify');
  const [search, monthly, releases] = await Promise.all([
    getJson(`/v1/audit?${query({ page, pageSize: PAGE_SIZE })}`),
    getJson(`/v1/audit/reports/monthly?month=${month}`),
    pendingReleases(),
  ]);
  return h(
    'div',
    { class: 'view governance' },
    chainPanel(verification),
    searchPanel(search),
    monthlyPanel(monthly),
    releasesPanel(releases),
    h(
      'details',
      { class: 'provenance' },
      h('summary', {}, 'Provenance'),
      h(
        'p',
        {},
        `Audit trail of ${verification.entries} entries, hash-chained; signed head ${verification.signedHead ? `at entry ${verification.signedHead.sequence}, signed ${verification.signedHead.signedAt}` : 'not present'}.`,
      ),
    ),
  );
}

/** The requests awaiting review, or why they cannot be shown (not mounted, refused). */
function pendingReleases() {
  return getJson(PENDING_RELEASES).catch((error) =>
    error instanceof ApiError && error.status === 404 ? null : { error },
  );
}

function releasesPanel(result) {
  const title = 'Release requests awaiting review';
  if (result === null) return panel(title, [], notYet('Release review'));
  if (result.error)
    return panel(
      title,
      [],
      h(
        'p',
        { class: 'refused', role: 'alert', 'data-reason': result.error.reason ?? '' },
        result.error.message,
      ),
    );
  const releases = result.releases;
  const columns = [
    {
      key: 'requestedAt',
      label: 'Requested',
      render: (r) => new Date(r.requestedAt).toLocaleString('en-GB'),
    },
    { key: 'requestedBy', label: 'By', render: (r) => r.requestedBy },
    { key: 'dsa', label: 'DSA', render: (r) => r.dsa },
    { key: 'output', label: 'Output', render: (r) => r.output },
    {
      key: 'parameters',
      label: 'Parameters',
      render: (r) =>
        Object.entries(r.parameters)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '(none)',
    },
    { key: 'justification', label: 'Justification', render: (r) => r.justification },
    {
      key: 'suppressed',
      label: 'Cells withheld',
      render: (r) => String(r.gateReport.suppressed.length),
    },
    { key: 'releaseId', label: 'Release', render: (r) => h('code', {}, r.releaseId) },
  ];
  return panel(
    title,
    [csvButton(PENDING_RELEASES, 'release-requests-awaiting-review.csv')],
    releases.length === 0
      ? h('p', { 'data-testid': 'no-releases' }, 'No release requests are awaiting review.')
      : h(
          'div',
          { class: 'table-wrap' },
          table(`${releases.length} awaiting review, newest first`, columns, releases, {
            'data-testid': 'releases-table',
          }),
        ),
    h(
      'p',
      { class: 'help' },
      'Output checkers review a request with `linkage release review <id>` (never their own); the gate report lists each withheld cell and its rule, never its value.',
    ),
  );
}

function chainPanel(v) {
  const ok = v.intact;
  return panel(
    'Chain verification',
    [],
    h(
      'p',
      {
        class: ok ? 'verified' : 'broken',
        'data-testid': 'chain-status',
        'data-intact': String(ok),
        role: 'status',
      },
      ok
        ? `Verified: all ${v.entries} entries are intact and chained${v.signedHead ? `, up to the signed head at entry ${v.signedHead.sequence} (${new Date(v.signedHead.signedAt).toLocaleString('en-GB')})` : ''}.`
        : `Broken: the chain fails at entry ${v.firstBroken?.sequence ?? '?'} (${v.firstBroken?.reason ?? 'unknown reason'}). ${v.entries} entries checked.`,
    ),
  );
}

function searchPanel(result) {
  const field = (name, label, control) =>
    h('div', { class: 'field' }, h('label', { for: `f-${name}` }, label), control);
  const text = (name) =>
    h('input', { id: `f-${name}`, name, value: filters[name] ?? '', autocomplete: 'off' });
  const choose = (name, options) =>
    h(
      'select',
      { id: `f-${name}`, name },
      options.map((o) =>
        h('option', { value: o, selected: (filters[name] ?? '') === o }, o || 'any'),
      ),
    );
  const date = (name) =>
    h('input', { id: `f-${name}`, name, type: 'date', value: filters[name] ?? '' });
  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Search the audit trail',
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        filters = Object.fromEntries([...data.entries()].filter(([, v]) => v !== ''));
        page = 1;
        rerender();
      },
    },
    field('actor', 'Actor', text('actor')),
    field('role', 'Role', choose('role', ROLES)),
    field('action', 'Action', text('action')),
    field('outcome', 'Outcome', choose('outcome', OUTCOMES)),
    field('from', 'From', date('from')),
    field('to', 'Before', date('to')),
    h('button', { type: 'submit' }, 'Search'),
    h(
      'button',
      { type: 'button', onclick: () => ((filters = {}), (page = 1), rerender()) },
      'Clear',
    ),
  );
  const columns = [
    { key: 'sequence', label: '#', render: (r) => String(r.sequence) },
    { key: 'at', label: 'When', render: (r) => new Date(r.at).toLocaleString('en-GB') },
    { key: 'actor', label: 'Actor', render: (r) => r.actor },
    { key: 'role', label: 'Role', render: (r) => r.role ?? '' },
    { key: 'purpose', label: 'Purpose', render: (r) => r.purpose ?? '' },
    { key: 'dsa', label: 'DSA', render: (r) => r.dsa ?? '' },
    { key: 'action', label: 'Action', render: (r) => r.action },
    {
      key: 'outcome',
      label: 'Outcome',
      render: (r) => h('span', { class: `outcome-${r.outcome}` }, r.outcome),
    },
    {
      key: 'httpStatus',
      label: 'Status',
      render: (r) => (r.httpStatus === null ? '' : String(r.httpStatus)),
    },
    { key: 'reason', label: 'Reason', render: (r) => r.reason ?? '' },
    {
      key: 'resultSize',
      label: 'Rows',
      render: (r) => (r.resultSize === null ? '' : String(r.resultSize)),
    },
    {
      key: 'cellsSuppressed',
      label: 'Suppressed',
      render: (r) => (r.cellsSuppressed === null ? '' : String(r.cellsSuppressed)),
    },
  ];
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'button',
      { type: 'button', disabled: page <= 1, onclick: () => ((page -= 1), rerender()) },
      'Newer',
    ),
    h('span', {}, ` page ${result.page} of ${pages} (${result.total} entries) `),
    h(
      'button',
      { type: 'button', disabled: page >= pages, onclick: () => ((page += 1), rerender()) },
      'Older',
    ),
  );
  return panel(
    'Audit trail',
    [csvButton(`/v1/audit/export?${query()}`, 'audit-trail.csv')],
    form,
    pager,
    h(
      'div',
      { class: 'table-wrap tall' },
      table('Entries, newest first', columns, result.entries, { 'data-testid': 'audit-table' }),
    ),
  );
}

function monthlyPanel(report) {
  const picker = h('input', { id: 'month', type: 'month', value: month });
  return panel(
    `Monthly access report: ${report.month}`,
    [
      csvButton(
        `/v1/audit/reports/monthly?month=${encodeURIComponent(report.month)}`,
        `access-report-${report.month}.csv`,
      ),
    ],
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (e) => (e.preventDefault(), (month = picker.value || month), rerender()),
      },
      h('div', { class: 'field' }, h('label', { for: 'month' }, 'Month'), picker),
      h('button', { type: 'submit' }, 'Show'),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      table(
        'Accesses by actor and purpose',
        [
          { key: 'actor', label: 'Actor', render: (r) => r.actor },
          { key: 'purpose', label: 'Purpose', render: (r) => r.purpose ?? '' },
          { key: 'accesses', label: 'Accesses', render: (r) => String(r.accesses) },
          { key: 'denied', label: 'Refused', render: (r) => String(r.denied) },
        ],
        report.rows,
        { 'data-testid': 'monthly-report' },
      ),
    ),
  );
}
