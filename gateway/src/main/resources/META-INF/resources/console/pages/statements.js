// Statements: what is owed to the authors of open models, per period, with a CSV export per statement.
import { api, auth, dollars, h, isMissingEndpoint, notice, table, td, ApiError } from '../lib.js';

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
  } }, h('label', { for: 'statement-period' }, 'Period (month)'), picker, h('button', { type: 'submit' }, 'Show'));
  const section = h('section', { class: 'page', 'aria-labelledby': 'statements-title' }, h('h2', { id: 'statements-title' }, 'Statements'), form);
  let list;
  try {
    list = await api(`/admin/statements?period=${encodeURIComponent(state.period)}`);
  } catch (e) {
    if (isMissingEndpoint(e)) { section.append(notice('Statements are not available on this gateway yet (GET /admin/statements answered 404).', 'warn')); return section; }
    if (e instanceof ApiError && e.status !== 401) { section.append(notice(`Could not load statements: ${e.message}`, 'error')); return section; }
    throw e;
  }
  const rows = (list.data || []).map((st) => h('tr', { 'data-statement': st.id },
    td(st.id), td(st.author), td(st.period), td(st.status), td(st.total_usd != null ? dollars(st.total_usd) : '', true),
    td(h('a', { href: `/admin/statements/${encodeURIComponent(st.id)}?format=csv`, 'data-id': st.id, onclick: (e) => { e.preventDefault(); download(st.id, e.currentTarget); } }, 'Export CSV'))));
  section.append(h('div', { class: 'scroll' }, table(`Statements for ${state.period}`, [
    { label: 'Statement' }, { label: 'Author' }, { label: 'Period' }, { label: 'Status' }, { label: 'Total', num: true }, { label: 'Export' }],
  rows.length ? rows : [h('tr', {}, h('td', { colspan: 6 }, 'No statements for this period.'))], { id: 'statements-table' })));
  return section;
}

/** The export needs the admin key in a header, so fetch it and hand the browser a blob instead of following the link. */
async function download(id, link) {
  const res = await fetch(link.getAttribute('href'), { headers: { Authorization: `Bearer ${auth.get()}` } });
  if (!res.ok) { link.after(notice(` Export failed: ${res.status}`, 'error')); return; }
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `statement-${id}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
