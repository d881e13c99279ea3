// Statements: what is owed to the authors of open models for a month, a statement's lines, a CSV export of each,
// and closing a month that has ended.
import { api, apiText, dollars, fill, h, isMissingEndpoint, micros, microsOf, notice, saveFile, shortTime, sumUsd, table, td, ApiError } from '../lib.js';

const usdOfMicros = (v) => microsOf(v);

const state = { period: null };

export async function statementsPage({ rerender }) {
  if (!state.period) state.period = new Date().toISOString().slice(0, 7);
  const picker = h('input', { type: 'month', id: 'statement-period', value: state.period, pattern: '\\d{4}-\\d{2}', placeholder: 'YYYY-MM', required: true });
  const form = h('form', { class: 'controls', onsubmit: (e) => {
    e.preventDefault();
    if (!/^\d{4}-\d{2}$/.test(picker.value)) { picker.setCustomValidity('Use YYYY-MM'); picker.reportValidity(); return; }
    picker.setCustomValidity('');
    state.period = picker.value;
    rerender();
  } }, h('label', { for: 'statement-period' }, 'Period (month, UTC)'), picker, h('button', { type: 'submit' }, 'Show'));
  const section = h('section', { class: 'page', 'aria-labelledby': 'statements-title' }, h('h2', { id: 'statements-title' }, 'Statements'), form);
  let list;
  try {
    list = await api(`/admin/statements?period=${encodeURIComponent(state.period)}`);
  } catch (e) {
    if (isMissingEndpoint(e)) { section.append(notice('Statements are not available on this gateway (GET /admin/statements answered 404).', 'warn')); return section; }
    if (e instanceof ApiError && e.status !== 401) { section.append(notice(`Could not load statements: ${e.message}`, 'error')); return section; }
    throw e;
  }
  // Author names are a nicety: the list works without them.
  const names = await api('/admin/authors').then((a) => Object.fromEntries((a.data || []).map((x) => [x.id, x.name]))).catch(() => ({}));
  const data = list.data || [];
  const message = h('div', { id: 'statements-message', 'aria-live': 'polite' });
  const details = h('section', { id: 'statement-details', 'aria-live': 'polite', hidden: true });

  const rows = data.map((st) => {
    const author = names[st.author_id] && names[st.author_id] !== st.author_id ? `${names[st.author_id]} (${st.author_id})` : st.author_id;
    const show = h('button', { type: 'button', 'data-action': 'details', 'aria-expanded': 'false', 'aria-controls': 'statement-details' }, 'Lines');
    show.addEventListener('click', () => showDetails(st.id, show, details, author));
    const link = h('a', { href: `/admin/statements/${encodeURIComponent(st.id)}?format=csv`, 'data-action': 'csv', download: `${st.id}.csv` }, 'Download CSV');
    link.addEventListener('click', (e) => { e.preventDefault(); download(st.id, link, message); });
    return h('tr', { 'data-statement': st.id, 'data-author': st.author_id },
      td(st.id, false, { class: 'nowrap' }), td(author, false, { class: 'nowrap' }),
      td([h('span', { class: `badge ${st.status}`, 'data-field': 'status' }, st.status), st.closed_at ? h('span', { class: 'hint' }, ` ${shortTime(st.closed_at)}`) : '']),
      td(st.requests, true, { 'data-field': 'requests' }), td(`${st.prompt_tokens} / ${st.completion_tokens}`, true, { class: 'nowrap' }),
      td(dollars(st.billed_usd), true, { 'data-field': 'billed_usd' }),
      td(dollars(st.share_usd), true, { 'data-field': 'share_usd' }),
      td(h('span', { class: 'row-actions' }, show, link)));
  });
  const t = table(`Statements for ${state.period}`, [
    { label: 'Statement' }, { label: 'Author' }, { label: 'Status' }, { label: 'Requests', num: true },
    { label: 'Tokens (prompt / completion)', num: true }, { label: 'Billed', num: true },
    { label: 'Owed to author', num: true }, { label: 'Actions' }],
  rows.length ? rows : [h('tr', {}, h('td', { colspan: 8 }, 'No statements for this period.'))], { id: 'statements-table' });
  if (data.length) {
    t.append(h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 5 }, `Total (${data.length} author${data.length === 1 ? '' : 's'})`),
      td(dollars(sumUsd(data.map((d) => d.billed_usd))), true, { 'data-field': 'billed_usd' }),
      td(dollars(sumUsd(data.map((d) => d.share_usd))), true, { 'data-field': 'share_usd' }), td(''))));
  }
  section.append(
    h('p', { class: 'hint' }, 'Billed is what the teams were charged for the authors\' models; owed is the authors\' share under their licenses. ',
      'An open statement is computed from the ledger as it stands; a closed one is frozen.'),
    h('div', { class: 'scroll' }, t), message, details, closeControl(state.period, data, rerender));
  return section;
}

/** The lines of one statement, from GET /admin/statements/{id}. */
async function showDetails(id, button, details, author) {
  const open = button.getAttribute('aria-expanded') === 'true';
  for (const b of document.querySelectorAll('#statements-table button[data-action="details"]')) b.setAttribute('aria-expanded', 'false');
  if (open) { details.hidden = true; fill(details); return; }
  button.setAttribute('aria-expanded', 'true');
  details.hidden = false;
  details.dataset.statement = id;
  fill(details, notice('Loading…'));
  let st;
  try {
    st = await api(`/admin/statements/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    fill(details, notice(`Could not load statement ${id}: ${e.message}`, 'error'));
    return;
  }
  if (details.dataset.statement !== id) return;
  const lines = (st.lines || []).map((l) => h('tr', { 'data-line': l.line_no },
    td(l.line_no, true), td(l.kind.replace(/_/g, ' ')), td(l.deployment || '—'), td(`${l.license_id} v${l.license_version}`),
    td(l.use_class || '—'), td(l.usage_date || l.usage_period, false, { class: 'nowrap' }), td(l.requests, true), td(l.prompt_tokens, true), td(l.completion_tokens, true),
    td(dollars(l.billed_usd ?? usdOfMicros(l.billed_micros)), true, { 'data-field': 'billed' }),
    td(dollars(l.share_usd ?? usdOfMicros(l.share_micros)), true, { 'data-field': 'share' })));
  // Exact line amounts (sub-micro-dollar digits kept); the statement's owed total is their sum rounded once.
  const sum = (f) => (st.lines || []).reduce((a, l) => a + (l[f.replace('_micros', '_usd')] != null
    ? micros(l[f.replace('_micros', '_usd')]) : microsOf(l[f])), 0n);
  const t = table(`Lines of ${st.id} (${author}, ${st.period}, ${st.status})`, [
    { label: '#', num: true }, { label: 'Kind' }, { label: 'Deployment' }, { label: 'License' }, { label: 'Use class' },
    { label: 'Usage (day or month)' }, { label: 'Requests', num: true }, { label: 'Prompt tokens', num: true },
    { label: 'Completion tokens', num: true }, { label: 'Billed', num: true }, { label: 'Owed', num: true }],
  lines.length ? lines : [h('tr', {}, h('td', { colspan: 11 }, 'No lines.'))], { id: 'statement-lines' });
  if (lines.length) {
    t.append(h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 9 }, 'Total of lines'),
      td(dollars(sum('billed_micros')), true, { 'data-field': 'billed' }), td(dollars(sum('share_micros')), true, { 'data-field': 'share' }))));
  }
  fill(details, h('h3', {}, `Statement ${st.id}`), h('div', { class: 'scroll' }, t));
}

/** The export needs the admin key in a header, so the link fetches it and hands the browser the file. */
async function download(id, link, message) {
  fill(message);
  link.setAttribute('aria-busy', 'true');
  try {
    const { text, type, filename } = await apiText(link.getAttribute('href'));
    saveFile(text, type.startsWith('text/csv') ? type : 'text/csv', filename || `${id}.csv`);
    link.dataset.downloaded = String(text.length);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    fill(message, notice(`Export of ${id} failed: ${e.message}`, 'error'));
  } finally {
    link.removeAttribute('aria-busy');
  }
}

/** Closing a month freezes its statements; the gateway refuses (409) while the month has not ended. */
function closeControl(period, data, rerender) {
  const out = h('div', { class: 'actions', id: 'statement-close' });
  if (data.length && data.every((d) => d.status === 'closed')) {
    out.append(h('p', { class: 'hint' }, `${period} is closed.`));
    return out;
  }
  const msg = h('div', { 'data-role': 'message' });
  const button = h('button', { type: 'button', 'data-action': 'close' }, `Close ${period}`);
  button.addEventListener('click', async () => {
    if (!window.confirm(`Close ${period}? Its statements are then frozen; later usage of ${period} goes on the next open month as late usage.`)) return;
    button.disabled = true;
    fill(msg);
    try {
      await api(`/admin/statements/${encodeURIComponent(period)}/close`, { method: 'POST' });
      rerender();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      fill(msg, notice(`Close refused: ${e.message}`, 'error'));
    } finally {
      button.disabled = false;
    }
  });
  out.append(button, h('span', { class: 'hint' }, 'Possible once the month has ended (UTC).'), msg);
  return out;
}
