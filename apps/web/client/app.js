// The page: sign-in, then one view per question. Every number comes from the governed API as
// the disclosure control left it; a suppressed value (null) is drawn as suppressed, never as 0.
import { forgetToken, getJson, keepToken, signIn, storedToken, explain } from './api.js';
import { h, problem } from './ui.js';
import { evaluationView } from './view-evaluation.js';
import { areasView } from './view-areas.js';
import { wellbeingView } from './view-wellbeing.js';
import { segmentsView } from './view-segments.js';
import { governanceView } from './view-governance.js';

const VIEWS = [
  { id: 'evaluation', label: 'Evaluation', render: evaluationView },
  { id: 'areas', label: 'Areas', render: areasView },
  { id: 'wellbeing', label: 'Wellbeing', render: wellbeingView },
  { id: 'segments', label: 'Segments', render: segmentsView },
  { id: 'governance', label: 'Governance', render: governanceView },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let session = null;
let current = null;

/** One rendering of a view: charts mount after insertion and are disposed on leaving. */
function newViewContext() {
  const mounts = [];
  const disposals = [];
  const ctx = {
    mounted: false,
    disposed: false,
    // After mounting (content filled in later), run on the next frame: the element is in place.
    onMount: (fn) =>
      ctx.mounted ? requestAnimationFrame(() => !ctx.disposed && fn()) : mounts.push(fn),
    onDispose: (fn) => disposals.push(fn),
    mount: () => {
      ctx.mounted = true;
      mounts.splice(0).forEach((fn) => fn());
    },
    dispose: () => {
      ctx.disposed = true;
      disposals.splice(0).forEach((fn) => fn());
    },
  };
  return ctx;
}

function renderNav(active) {
  nav.replaceChildren(
    ...VIEWS.map((v) =>
      h(
        'a',
        { href: `#/${v.id}`, 'aria-current': v.id === active ? 'page' : null, 'data-view': v.id },
        v.label,
      ),
    ),
    h('a', { href: '#/sign-in', 'aria-current': active === 'sign-in' ? 'page' : null }, 'Session'),
  );
}

function renderWho() {
  if (!session) {
    who.replaceChildren(h('span', {}, 'Not signed in'));
    return;
  }
  who.replaceChildren(
    h(
      'span',
      { 'data-testid': 'who' },
      `${session.user} · ${session.role} · ${session.purpose} · ${session.dsa}`,
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          forgetToken();
          session = null;
          location.hash = '#/sign-in';
          route();
        },
      },
      'Sign out',
    ),
  );
}

function signInView(ctx, message) {
  const input = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'eyJhbGciOi...',
    'aria-describedby': 'token-help',
  });
  const status = h('p', { id: 'sign-in-status', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'panel sign-in',
      onsubmit: async (event) => {
        event.preventDefault();
        status.textContent = '';
        status.className = '';
        const token = input.value.trim();
        if (!token) {
          status.textContent = explain('token_missing');
          status.className = 'refused';
          return;
        }
        try {
          session = await signIn(token);
          keepToken(token);
          renderWho();
          location.hash = session.permissions.includes('read:outcomes')
            ? '#/evaluation'
            : '#/governance';
        } catch (error) {
          forgetToken();
          session = null;
          input.value = ''; // a refused token does not linger on the page
          renderWho();
          status.textContent = `Not signed in. ${error.message}`;
          status.className = 'refused';
          status.setAttribute('data-reason', error.reason ?? '');
        }
      },
    },
    h('h2', {}, 'Sign in'),
    h('label', { for: 'token' }, 'Your token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      'Paste the bearer token you were issued (`linkage token ...`; `linkage demo` prints two). It is kept for this browser tab only and forgotten when the tab closes.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  const card = session
    ? h(
        'section',
        { class: 'panel session', 'aria-label': 'Signed in' },
        h('h2', {}, 'Signed in'),
        h(
          'dl',
          { 'data-testid': 'session' },
          ...[
            ['User', session.user],
            ['Role', session.role],
            ['Purpose', session.purpose],
            ['DSA', session.dsa],
            ['DSA in force until', session.dsaValidUntil ?? 'open-ended'],
            ['Token expires', new Date(session.tokenExpiresAt).toLocaleString('en-GB')],
          ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        ),
      )
    : null;
  return h('div', {}, card, form);
}

async function route() {
  const id = (location.hash.replace(/^#\//, '') || '').split('?')[0];
  // Re-rendering the nav drops its focus; remember whether the user came from it.
  const fromNav = Boolean(document.activeElement?.closest?.('nav'));
  current?.dispose();
  current = newViewContext();
  const ctx = current;
  const view = VIEWS.find((v) => v.id === id);
  if (!session || !view) {
    renderNav('sign-in');
    main.replaceChildren(signInView(ctx));
    document.title = 'Sign in · linkage';
    return;
  }
  renderNav(view.id);
  document.title = `${view.label} · linkage`;
  main.replaceChildren(
    h('p', { class: 'loading', role: 'status' }, `Loading ${view.label.toLowerCase()}…`),
  );
  let content;
  try {
    content = await view.render(ctx, session);
  } catch (error) {
    if (error.status === 401) {
      // The token stopped being good (expired, DSA revoked): back to sign-in, saying why.
      forgetToken();
      session = null;
      renderWho();
      renderNav('sign-in');
      main.replaceChildren(signInView(ctx, `Signed out. ${error.message}`));
      return;
    }
    content = problem(error);
  }
  if (ctx !== current) return; // the user moved on while this view loaded
  main.replaceChildren(h('h1', { class: 'view-title', tabindex: '-1' }, view.label), content);
  main.setAttribute('data-loaded', view.id);
  ctx.mount();
  // Keyboard and screen-reader users land on the new view's heading, not back at the top.
  if (fromNav) main.querySelector('h1')?.focus();
}

async function start() {
  const token = storedToken();
  if (token) {
    try {
      session = await signIn(token);
    } catch {
      forgetToken();
      session = null;
    }
  }
  renderWho();
  window.addEventListener('hashchange', route);
  await route();
}

// For the browser tests and the curious: the same JSON the views read.
window.linkage = { getJson };
start();
