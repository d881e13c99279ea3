// Teams: create, edit (name, use class, rate limits, budget), delete (soft: keys revoked, usage kept).
import { api, dollars, fill, h, notice, perPeriod, table, td, ApiError } from '../lib.js';

const USE_CLASSES = ['commercial', 'individual', 'non-commercial', 'research'];

/** A whole number from an input, or null when it is empty. */
export function wholeOrNull(input) {
  const v = input.value.trim();
  return v === '' ? null : Number(v);
}

export function limitsText(l) {
  if (!l || (l.rpm == null && l.tpm == null)) return 'none';
  return [l.rpm != null ? `${l.rpm} rpm` : null, l.tpm != null ? `${l.tpm} tpm` : null].filter(Boolean).join(', ');
}

function useClassSelect(id, value) {
  return h('select', { id }, USE_CLASSES.map((c) => h('option', { value: c, selected: c === value }, c)));
}

export async function teamsPage({ rerender }) {
  const teams = (await api('/admin/teams')).data;
  const budgets = Object.fromEntries(await Promise.all(teams.map(async (t) => {
    try { return [t.id, await api(`/admin/teams/${encodeURIComponent(t.id)}/budget`)]; } catch (e) {
      if (e instanceof ApiError && e.status === 404) return [t.id, null];
      throw e;
    }
  })));
  const message = h('div', { id: 'teams-message', 'aria-live': 'polite' });
  const say = (text, kind = 'ok') => fill(message, notice(text, kind));

  const id = h('input', { id: 'team-new-id', required: true, pattern: '[a-z0-9][a-z0-9_-]{0,62}', spellcheck: 'false', placeholder: 'search' });
  const name = h('input', { id: 'team-new-name', placeholder: 'Search team' });
  const useClass = useClassSelect('team-new-use-class', 'commercial');
  const rpm = h('input', { id: 'team-new-rpm', type: 'number', min: 1, step: 1, placeholder: 'none' });
  const tpm = h('input', { id: 'team-new-tpm', type: 'number', min: 1, step: 1, placeholder: 'none' });
  const create = h('form', { class: 'controls', id: 'team-create-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { id: id.value.trim(), use_class: useClass.value };
    if (name.value.trim()) body.name = name.value.trim();
    if (wholeOrNull(rpm) != null || wholeOrNull(tpm) != null) body.limits = { rpm: wholeOrNull(rpm), tpm: wholeOrNull(tpm) };
    try {
      await api('/admin/teams', { method: 'POST', body });
      rerender();
    } catch (err) { if (!(err instanceof ApiError && err.status === 401)) say(`Could not create the team: ${err.message}`, 'error'); }
  } },
  h('label', { for: 'team-new-id' }, 'Id'), id, h('label', { for: 'team-new-name' }, 'Name'), name,
  h('label', { for: 'team-new-use-class' }, 'Use class'), useClass,
  h('label', { for: 'team-new-rpm' }, 'Requests/min'), rpm, h('label', { for: 'team-new-tpm' }, 'Tokens/min'), tpm,
  h('button', { type: 'submit', id: 'team-create' }, 'Create team'));

  const editor = h('section', { id: 'team-edit', 'aria-live': 'polite', hidden: true });
  const rows = teams.map((t) => {
    const b = budgets[t.id];
    const edit = h('button', { type: 'button', 'data-action': 'edit', 'aria-controls': 'team-edit' }, 'Edit');
    edit.addEventListener('click', () => showEditor(editor, t, b, say, rerender));
    const del = h('button', { type: 'button', 'data-action': 'delete' }, 'Delete');
    del.addEventListener('click', async () => {
      if (!confirm(`Delete team ${t.id}? Its keys are revoked at once; its usage history is kept and the id cannot be reused.`)) return;
      try {
        await api(`/admin/teams/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
        rerender();
      } catch (err) { if (!(err instanceof ApiError && err.status === 401)) say(`Could not delete ${t.id}: ${err.message}`, 'error'); }
    });
    return h('tr', { 'data-team': t.id },
      td(t.id, false, { class: 'nowrap' }), td(t.name, false, { 'data-field': 'name' }), td(t.use_class, false, { 'data-field': 'use_class' }),
      td(limitsText(t.limits), false, { 'data-field': 'limits' }),
      td(b ? budgetText(b) : 'none', false, { 'data-field': 'budget' }),
      td(h('span', { class: 'row-actions' }, h('a', { href: `#keys/${encodeURIComponent(t.id)}`, 'data-action': 'keys' }, 'Keys'), edit, del)));
  });
  return h('section', { class: 'page', 'aria-labelledby': 'teams-title' }, h('h2', { id: 'teams-title' }, 'Teams'),
    h('p', { class: 'hint' }, 'Deleting a team revokes its keys and hides it; its usage, budgets and ledger history stay, and its id is not reused.'),
    create, message,
    h('div', { class: 'scroll' }, table('Teams', [{ label: 'Id' }, { label: 'Name' }, { label: 'Use class' }, { label: 'Rate limits' },
      { label: 'Budget' }, { label: 'Actions' }], rows.length ? rows : [h('tr', {}, h('td', { colspan: 6 }, 'No teams yet.'))], { id: 'teams-table' })),
    editor);
}

function budgetText(b) {
  const parts = [];
  if (b.limit_usd != null) parts.push(`${dollars(b.spent_usd)} of ${dollars(b.limit_usd)} ${perPeriod(b.period)}`);
  if (b.limit_tokens != null) parts.push(`${b.spent_tokens ?? 0} of ${b.limit_tokens} tokens ${perPeriod(b.period)}`);
  return `${parts.join('; ')} (${b.enforcement})`;
}

function showEditor(editor, t, budget, say, rerender) {
  editor.hidden = false;
  editor.dataset.team = t.id;
  const name = h('input', { id: 'team-edit-name', value: t.name });
  const useClass = useClassSelect('team-edit-use-class', t.use_class);
  const rpm = h('input', { id: 'team-edit-rpm', type: 'number', min: 1, step: 1, value: t.limits?.rpm ?? '', placeholder: 'none' });
  const tpm = h('input', { id: 'team-edit-tpm', type: 'number', min: 1, step: 1, value: t.limits?.tpm ?? '', placeholder: 'none' });
  const limitUsd = h('input', { id: 'team-edit-budget-usd', inputmode: 'decimal', value: budget?.limit_usd ?? '', placeholder: 'none, e.g. 100.00' });
  const period = h('select', { id: 'team-edit-budget-period' }, ['daily', 'weekly', 'monthly', 'total'].map((p) =>
    h('option', { value: p, selected: p === (budget?.period || 'monthly') }, p)));
  const enforcement = h('select', { id: 'team-edit-budget-enforcement' }, ['hard', 'soft'].map((p) =>
    h('option', { value: p, selected: p === (budget?.enforcement || 'hard') }, p)));
  const form = h('form', { class: 'controls', onsubmit: async (e) => {
    e.preventDefault();
    const base = `/admin/teams/${encodeURIComponent(t.id)}`;
    try {
      const limits = wholeOrNull(rpm) == null && wholeOrNull(tpm) == null ? null : { rpm: wholeOrNull(rpm), tpm: wholeOrNull(tpm) };
      await api(base, { method: 'PATCH', body: { name: name.value.trim() || t.id, use_class: useClass.value, limits } });
      const usd = limitUsd.value.trim();
      if (usd) {
        await api(`${base}/budget`, { method: 'PUT', body: { limit_usd: usd, period: period.value, enforcement: enforcement.value,
          alert_thresholds: budget?.alert_thresholds || [] } });
      } else if (budget) {
        await api(`${base}/budget`, { method: 'DELETE' });
      }
      rerender();
    } catch (err) { if (!(err instanceof ApiError && err.status === 401)) say(`Could not save ${t.id}: ${err.message}`, 'error'); }
  } },
  h('label', { for: 'team-edit-name' }, 'Name'), name, h('label', { for: 'team-edit-use-class' }, 'Use class'), useClass,
  h('label', { for: 'team-edit-rpm' }, 'Requests/min'), rpm, h('label', { for: 'team-edit-tpm' }, 'Tokens/min'), tpm,
  h('label', { for: 'team-edit-budget-usd' }, 'Budget (USD)'), limitUsd, period, enforcement,
  h('button', { type: 'submit', id: 'team-save' }, 'Save'),
  h('button', { type: 'button', onclick: () => { editor.hidden = true; fill(editor); } }, 'Cancel'));
  fill(editor, h('h3', {}, `Edit team ${t.id}`), form);
  name.focus();
}
