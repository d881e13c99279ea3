// The request log: usage records newest first with filters, each with its routing decision and cost.
import { api, dollars, fill, h, notice, shortTime, table, td, ApiError } from '../lib.js';

const FIELDS = ['team', 'key', 'route', 'model', 'status', 'from', 'to'];
const state = { filters: {} };

export async function requestsPage({ rerender }) {
  const teams = (await api('/admin/teams?include_deleted=true')).data;
  const inputs = {
    team: h('select', { id: 'req-team' }, h('option', { value: '' }, 'any'),
      teams.map((t) => h('option', { value: t.id, selected: state.filters.team === t.id }, t.deleted_at ? `${t.id} (deleted)` : t.id))),
    key: h('input', { id: 'req-key', placeholder: 'key_…', value: state.filters.key || '', spellcheck: 'false' }),
    route: h('input', { id: 'req-route', placeholder: 'any', value: state.filters.route || '' }),
    model: h('input', { id: 'req-model', placeholder: 'upstream model', value: state.filters.model || '' }),
    status: h('select', { id: 'req-status' }, [['', 'any'], ['ok', 'ok'], ['error', 'errors'], ['4xx', '4xx'], ['5xx', '5xx'], ['429', '429']]
      .map(([v, l]) => h('option', { value: v, selected: (state.filters.status || '') === v }, l))),
    from: h('input', { id: 'req-from', type: 'date', value: state.filters.from || '' }),
    to: h('input', { id: 'req-to', type: 'date', value: state.filters.to || '' }),
  };
  const form = h('form', { class: 'controls', id: 'requests-filters', onsubmit: (e) => {
    e.preventDefault();
    state.filters = Object.fromEntries(FIELDS.map((f) => [f, inputs[f].value.trim()]).filter(([, v]) => v));
    rerender();
  } }, FIELDS.map((f) => [h('label', { for: inputs[f].id }, f === 'to' ? 'to (exclusive)' : f), inputs[f]]),
  h('button', { type: 'submit', id: 'requests-apply' }, 'Filter'));
  const section = h('section', { class: 'page', 'aria-labelledby': 'requests-title' }, h('h2', { id: 'requests-title' }, 'Request log'), form,
    h('p', { class: 'hint' }, 'Every metered request (records reach the database within a second), newest first. Requests refused before routing (bad key, rate limit, budget) are not metered.'));
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'requests-more', hidden: true }, 'Older requests');
  const message = h('div', { 'aria-live': 'polite' });
  let before = null;
  async function load() {
    const q = new URLSearchParams({ ...state.filters, limit: '50' });
    if (before) q.set('before', before);
    try {
      const page = await api(`/admin/requests?${q}`);
      for (const r of page.data) tbody.append(row(r));
      if (!tbody.children.length) tbody.append(h('tr', {}, h('td', { colspan: 10 }, 'No requests match.')));
      before = page.next_before;
      more.hidden = !page.has_more;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      fill(message, notice(`Could not load requests: ${err.message}`, 'error'));
    }
  }
  more.addEventListener('click', load);
  await load();
  const t = h('table', { id: 'requests-table' }, h('caption', {}, 'Requests'),
    h('thead', {}, h('tr', {}, ['Time', 'Team / key', 'Route', 'Policy', 'Deployment', 'Attempts', 'Status', 'Tokens', 'Cost', 'Latency']
      .map((l, i) => h('th', { scope: 'col', class: i >= 7 ? 'num' : null }, l)))), tbody);
  section.append(message, h('div', { class: 'scroll' }, t), more);
  return section;
}

function row(r) {
  return h('tr', { 'data-request': r.request_id, 'data-team': r.team },
    td(shortTime(r.time), false, { class: 'nowrap', title: r.request_id }),
    td([r.team, r.key_id ? h('div', { class: 'hint' }, r.key_id) : '']),
    td(r.route, false, { 'data-field': 'route' }),
    td(r.stage ? `${r.policy} (${r.stage})` : r.policy, false, { 'data-field': 'policy' }),
    td([r.deployment, h('div', { class: 'hint' }, `${r.class}${r.upstream_model ? ` · ${r.upstream_model}` : ''}`)], false, { 'data-field': 'deployment' }),
    td((r.attempts || []).join(' → ') || '—', false, { 'data-field': 'attempts' }),
    td([h('span', { class: `badge ${r.status < 400 ? 'active' : 'rolled_back'}` }, r.status), r.error_code ? h('div', { class: 'hint' }, r.error_code) : ''],
      false, { 'data-field': 'status' }),
    td(`${r.prompt_tokens} / ${r.completion_tokens}`, true, { class: 'nowrap' }),
    td(dollars(r.team_charge_usd), true, { 'data-field': 'cost' }),
    td(`${r.latency_ms} ms`, true, { class: 'nowrap' }));
}
