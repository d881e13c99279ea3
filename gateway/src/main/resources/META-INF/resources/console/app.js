// The console shell: sign-in with the admin key (sessionStorage, this tab only), tabs, page rendering.
import { api, auth, fill, h, notice, ApiError } from './lib.js';
import { spendPage } from './pages/spend.js';
import { budgetsPage } from './pages/budgets.js';
import { migrationsPage } from './pages/migrations.js';
import { statementsPage } from './pages/statements.js';
import { teamsPage } from './pages/teams.js';
import { keysPage } from './pages/keys.js';
import { requestsPage } from './pages/requests.js';

const PAGES = { spend: spendPage, budgets: budgetsPage, migrations: migrationsPage, statements: statementsPage,
  teams: teamsPage, keys: keysPage, requests: requestsPage };
const $ = (id) => document.getElementById(id);
let renderSeq = 0;

function showLogin(message) {
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('admin-key').focus();
}

function showApp() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  if (!location.hash || !PAGES[location.hash.slice(1).split('/')[0]]) history.replaceState(null, '', '#spend');
  render();
}

async function render() {
  // '#migrations/<route>' is a page's sub-page (the migration report); the tab is the part before the slash.
  const [name, ...rest] = location.hash.slice(1).split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : null;
  const page = PAGES[name] || spendPage;
  for (const key of Object.keys(PAGES)) {
    const tab = $(`tab-${key}`);
    tab.setAttribute('aria-selected', String(key === name));
    if (key === name) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
  }
  const main = $('main');
  main.setAttribute('aria-labelledby', `tab-${name}`);
  const seq = ++renderSeq;
  fill(main, notice('Loading…'));
  try {
    const content = await page({ arg, rerender: () => { if (seq === renderSeq) render(); } });
    if (seq === renderSeq) fill(main, content);
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e instanceof ApiError && e.status === 401) return; // handled by the unauthorized event
    fill(main, notice(`Could not load this page: ${e.message}`, 'error'));
  }
  main.dataset.page = name;
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('admin-key');
  const key = input.value.trim();
  if (!key) { showLogin('Type the admin key.'); return; }
  $('login-submit').disabled = true;
  try {
    await api('/admin/teams', { key });
    auth.set(key);
    input.value = '';
    showApp();
  } catch (e) {
    const msg = e instanceof ApiError && e.status === 401
      ? 'That admin key was not accepted. Check it and try again.'
      : `Could not check the key: ${e.message}`;
    showLogin(msg);
    input.select();
  } finally {
    $('login-submit').disabled = false;
  }
});

$('logout').addEventListener('click', () => {
  auth.clear();
  renderSeq++;
  fill($('main'));
  showLogin(null);
});

window.addEventListener('console:unauthorized', () => {
  auth.clear();
  showLogin('The admin key is no longer accepted; sign in again.');
});

window.addEventListener('hashchange', () => { if (auth.get()) { render(); $('main').focus(); } });

if (auth.get()) showApp(); else showLogin(null);
