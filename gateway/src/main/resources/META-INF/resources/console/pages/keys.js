// Keys of one team: create (the secret is shown once), edit (description, expiry, routes, limits), rotate with an
// overlap window, revoke.
import { api, fill, h, notice, shortTime, table, td, ApiError } from '../lib.js';
import { limitsText, wholeOrNull } from './teams.js';

const state = { team: null, overlap: '24h' };

/** "2027-01-31T12:00" (a datetime-local input, read as UTC) -> ISO instant; '' -> null. */
function instantOf(local) { return local ? `${local.length === 16 ? `${local}:00` : local}Z` : null; }
function localOf(iso) { return iso ? iso.slice(0, 16) : ''; }
function routesOf(text) {
  const list = text.split(',').map((r) => r.trim()).filter(Boolean);
  return list.length ? list : null;
}

export async function keysPage({ arg, rerender }) {
  const teams = (await api('/admin/teams')).data;
  if (arg) state.team = arg;
  if (!state.team || !teams.some((t) => t.id === state.team)) state.team = teams.length ? teams[0].id : null;
  const section = h('section', { class: 'page', 'aria-labelledby': 'keys-title' }, h('h2', { id: 'keys-title' }, 'Keys'));
  if (!state.team) { section.append(notice('No teams yet: create one on the Teams page.')); return section; }
  const pick = h('select', { id: 'keys-team', onchange: () => { location.hash = `#keys/${encodeURIComponent(pick.value)}`; } },
    teams.map((t) => h('option', { value: t.id, selected: t.id === state.team }, t.name && t.name !== t.id ? `${t.name} (${t.id})` : t.id)));
  const keys = (await api(`/admin/teams/${encodeURIComponent(state.team)}/keys`)).data;
  const message = h('div', { id: 'keys-message', 'aria-live': 'polite' });
  const say = (text, kind = 'ok') => fill(message, notice(text, kind));
  const secretBox = h('div', { id: 'key-secret-box', 'aria-live': 'polite', hidden: true });
  const showSecret = (k, what) => {
    secretBox.hidden = false;
    fill(secretBox, h('p', { class: 'notice warn' }, `${what} Copy the secret now: it is shown once and cannot be retrieved again.`),
      h('p', {}, h('code', { id: 'key-secret', 'data-key': k.id }, k.key)),
      k.previous_key_expires_at ? h('p', { class: 'hint', id: 'key-overlap' }, `The previous secret keeps working until ${shortTime(k.previous_key_expires_at)}.`) : '');
  };
  const fail = (what) => (err) => { if (!(err instanceof ApiError && err.status === 401)) say(`${what}: ${err.message}`, 'error'); };

  const name = h('input', { id: 'key-new-name', placeholder: 'ci' });
  const description = h('input', { id: 'key-new-description', placeholder: 'what it is for' });
  const expires = h('input', { id: 'key-new-expires', type: 'datetime-local' });
  const routes = h('input', { id: 'key-new-routes', placeholder: 'all routes (or gpt-4o, claude)' });
  const rpm = h('input', { id: 'key-new-rpm', type: 'number', min: 1, step: 1, placeholder: 'none' });
  const tpm = h('input', { id: 'key-new-tpm', type: 'number', min: 1, step: 1, placeholder: 'none' });
  const create = h('form', { class: 'controls', id: 'key-create-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), description: description.value.trim(), allowed_routes: routesOf(routes.value),
      expires_at: instantOf(expires.value) };
    if (wholeOrNull(rpm) != null || wholeOrNull(tpm) != null) body.limits = { rpm: wholeOrNull(rpm), tpm: wholeOrNull(tpm) };
    try {
      const k = await api(`/admin/teams/${encodeURIComponent(state.team)}/keys`, { method: 'POST', body });
      create.reset();
      await redraw();
      showSecret(k, `Key ${k.id} created.`);
    } catch (err) { fail('Could not create the key')(err); }
  } },
  h('label', { for: 'key-new-name' }, 'Name'), name, h('label', { for: 'key-new-description' }, 'Description'), description,
  h('label', { for: 'key-new-expires' }, 'Expires (UTC)'), expires, h('label', { for: 'key-new-routes' }, 'Routes'), routes,
  h('label', { for: 'key-new-rpm' }, 'Requests/min'), rpm, h('label', { for: 'key-new-tpm' }, 'Tokens/min'), tpm,
  h('button', { type: 'submit', id: 'key-create' }, 'Create key'));

  const overlap = h('select', { id: 'rotate-overlap', onchange: () => { state.overlap = overlap.value; } },
    [['24h', '24 hours'], ['1h', '1 hour'], ['7d', '7 days'], ['0s', 'none (old secret stops at once)']].map(([v, l]) =>
      h('option', { value: v, selected: v === state.overlap }, l)));
  const editor = h('section', { id: 'key-edit', hidden: true });
  const tableBox = h('div', { class: 'scroll' });

  async function redraw() {
    const fresh = (await api(`/admin/teams/${encodeURIComponent(state.team)}/keys`)).data;
    fill(tableBox, keyTable(fresh));
  }

  function keyTable(list) {
    const rows = list.map((k) => {
      const live = k.status !== 'revoked';
      const actions = h('span', { class: 'row-actions' });
      if (live) {
        const edit = h('button', { type: 'button', 'data-action': 'edit', 'aria-controls': 'key-edit' }, 'Edit');
        edit.addEventListener('click', () => showEditor(k));
        const rotate = h('button', { type: 'button', 'data-action': 'rotate' }, 'Rotate');
        rotate.addEventListener('click', async () => {
          try {
            const r = await api(`/admin/keys/${encodeURIComponent(k.id)}/rotate`, { method: 'POST', body: { overlap: overlap.value } });
            await redraw();
            showSecret(r, `Key ${k.id} rotated.`);
          } catch (err) { fail(`Could not rotate ${k.id}`)(err); }
        });
        const revoke = h('button', { type: 'button', 'data-action': 'revoke' }, 'Revoke');
        revoke.addEventListener('click', async () => {
          if (!confirm(`Revoke key ${k.id} (${k.prefix}…)? Requests with it are refused at once.`)) return;
          try {
            await api(`/admin/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
            await redraw();
            say(`Key ${k.id} revoked.`);
          } catch (err) { fail(`Could not revoke ${k.id}`)(err); }
        });
        actions.append(edit, rotate, revoke);
      }
      return h('tr', { 'data-key': k.id },
        td([h('strong', {}, k.name || '(unnamed)'), k.description ? h('div', { class: 'hint', 'data-field': 'description' }, k.description) : '']),
        td(h('code', {}, `${k.prefix}…`)),
        td(h('span', { class: `badge ${k.status}`, 'data-field': 'status' }, k.status)),
        td(k.allowed_routes ? k.allowed_routes.join(', ') : 'all', false, { 'data-field': 'routes' }),
        td(k.expires_at ? shortTime(k.expires_at) : 'never', false, { 'data-field': 'expires', class: 'nowrap' }),
        td(k.last_used_at ? shortTime(k.last_used_at) : 'never', false, { 'data-field': 'last-used', class: 'nowrap' }),
        td([k.rotated_at ? shortTime(k.rotated_at) : '', k.previous_key_expires_at
          ? h('div', { class: 'hint', 'data-field': 'overlap' }, `old secret until ${shortTime(k.previous_key_expires_at)}`) : ''], false, { class: 'nowrap' }),
        td(limitsText(k.limits), false, { 'data-field': 'limits' }),
        td(actions));
    });
    return table(`Keys of ${state.team}`, [{ label: 'Key' }, { label: 'Prefix' }, { label: 'Status' }, { label: 'Routes' },
      { label: 'Expires' }, { label: 'Last used' }, { label: 'Rotated' }, { label: 'Rate limits' }, { label: 'Actions' }],
    rows.length ? rows : [h('tr', {}, h('td', { colspan: 9 }, 'No keys yet.'))], { id: 'keys-table' });
  }

  function showEditor(k) {
    editor.hidden = false;
    editor.dataset.key = k.id;
    const d = h('input', { id: 'key-edit-description', value: k.description || '' });
    const ex = h('input', { id: 'key-edit-expires', type: 'datetime-local', value: localOf(k.expires_at) });
    const rt = h('input', { id: 'key-edit-routes', value: (k.allowed_routes || []).join(', '), placeholder: 'all routes' });
    const r1 = h('input', { id: 'key-edit-rpm', type: 'number', min: 1, step: 1, value: k.limits?.rpm ?? '', placeholder: 'none' });
    const r2 = h('input', { id: 'key-edit-tpm', type: 'number', min: 1, step: 1, value: k.limits?.tpm ?? '', placeholder: 'none' });
    const form = h('form', { class: 'controls', onsubmit: async (e) => {
      e.preventDefault();
      const limits = wholeOrNull(r1) == null && wholeOrNull(r2) == null ? null : { rpm: wholeOrNull(r1), tpm: wholeOrNull(r2) };
      try {
        await api(`/admin/keys/${encodeURIComponent(k.id)}`, { method: 'PATCH',
          body: { description: d.value.trim(), expires_at: instantOf(ex.value), allowed_routes: routesOf(rt.value), limits } });
        editor.hidden = true;
        fill(editor);
        await redraw();
        say(`Key ${k.id} saved.`);
      } catch (err) { fail(`Could not save ${k.id}`)(err); }
    } },
    h('label', { for: 'key-edit-description' }, 'Description'), d, h('label', { for: 'key-edit-expires' }, 'Expires (UTC, empty = never)'), ex,
    h('label', { for: 'key-edit-routes' }, 'Routes'), rt, h('label', { for: 'key-edit-rpm' }, 'Requests/min'), r1,
    h('label', { for: 'key-edit-tpm' }, 'Tokens/min'), r2, h('button', { type: 'submit', id: 'key-save' }, 'Save'),
    h('button', { type: 'button', onclick: () => { editor.hidden = true; fill(editor); } }, 'Cancel'));
    fill(editor, h('h3', {}, `Edit key ${k.name || k.id}`), form);
    d.focus();
  }

  fill(tableBox, keyTable(keys));
  section.append(
    h('div', { class: 'controls' }, h('label', { for: 'keys-team' }, 'Team'), pick,
      h('label', { for: 'rotate-overlap' }, 'Rotation overlap'), overlap),
    h('p', { class: 'hint' }, 'Rotating gives a key a new secret and keeps its id, limits, budget and history; the old secret keeps working during the overlap.'),
    create, secretBox, message, tableBox, editor);
  return section;
}
