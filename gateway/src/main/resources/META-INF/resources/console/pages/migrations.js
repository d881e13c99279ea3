// Migrations: each migrating route's open-model share, its stage history as a step chart, evidence, savings, actions.
import { api, dollars, fill, h, isMissingEndpoint, notice, s, shortTime, ApiError } from '../lib.js';
import { migrationReportPage } from './migration-report.js';

const ACTIONS = [
  { action: 'promote', label: 'Promote', allowed: (st) => ['active', 'paused', 'pinned'].includes(st) },
  { action: 'pause', label: 'Pause', allowed: (st) => st === 'active' },
  { action: 'resume', label: 'Resume', allowed: (st) => ['paused', 'pinned', 'rolled_back'].includes(st) },
  { action: 'rollback', label: 'Roll back', allowed: (st) => st !== 'rolled_back' },
];

export async function migrationsPage({ arg } = {}) {
  if (arg) return migrationReportPage(arg);
  const section = h('section', { class: 'page', 'aria-labelledby': 'migrations-title' }, h('h2', { id: 'migrations-title' }, 'Migrations'));
  let list;
  try {
    list = await api('/admin/migrations');
  } catch (e) {
    if (isMissingEndpoint(e)) { section.append(notice('Migrations are not available on this gateway (GET /admin/migrations answered 404).', 'warn')); return section; }
    throw e;
  }
  const data = list.data || [];
  if (!data.length) section.append(notice('No route has a migration policy.'));
  const cards = h('ul', { class: 'cards wide', id: 'migration-list' });
  for (const m of data) cards.append(card(m));
  section.append(cards);
  return section;
}

const status = (m) => String(m.status || '').toLowerCase();

function card(m) {
  const li = h('li', { class: 'card migration', 'data-route': m.route });
  render(li, m, null);
  return li;
}

function render(li, m, message) {
  const id = `mig-${m.route.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const reason = h('input', { type: 'text', id: `${id}-reason`, maxlength: 500, placeholder: 'optional' });
  const msg = h('p', { class: `notice ${message && message.kind}`, role: message && message.kind === 'error' ? 'alert' : 'status', 'data-role': 'message', hidden: !message }, message ? message.text : '');
  const buttons = ACTIONS.map((a) => h('button', {
    type: 'button', 'data-action': a.action, 'aria-describedby': `${id}-state`,
    title: a.allowed(status(m)) ? null : `The gateway will probably refuse this while ${status(m).replace('_', ' ')}`,
    onclick: async (ev) => {
      const btn = ev.currentTarget;
      li.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      try {
        const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
        const updated = await api(`/admin/migrations/${encodeURIComponent(m.route)}/${a.action}`, { method: 'POST', body });
        render(li, updated, { kind: 'ok', text: `${a.label}: now ${updated.status} at ${updated.open_percent}% open.` });
      } catch (e) {
        const text = e instanceof ApiError && e.status === 409 ? `${a.label} refused: ${e.message}` : `${a.label} failed: ${e.message}`;
        render(li, m, { kind: 'error', text });
      }
      const again = li.querySelector(`button[data-action="${btn.dataset.action}"]`);
      if (again) again.focus();
    },
  }, a.label));

  const stages = (m.stages || []).map((p, i) => h('li', { class: i === m.stage_index ? 'current' : null, 'aria-current': i === m.stage_index ? 'step' : null }, `${p}%`));
  fill(li,
    h('h3', {}, m.route, h('span', { class: 'route-models' }, ` ${m.from} → ${m.to}`)),
    h('p', {}, h('a', { href: `#migrations/${encodeURIComponent(m.route)}`, 'data-role': 'report' }, 'Report: evidence per stage, decision trail, open share over time')),
    h('p', { id: `${id}-state`, class: 'state' },
      h('span', { class: `badge ${status(m)}`, 'data-field': 'status' }, status(m).replace('_', ' ')),
      ' ', h('strong', { 'data-field': 'open_percent' }, `${m.open_percent}%`), ` of requests go to the open model (${m.to}); stage `,
      h('span', { 'data-field': 'stage' }, `${m.stage_index + 1} of ${(m.stages || []).length}`), m.since ? `, since ${shortTime(m.since)}` : ''),
    h('div', { class: 'bar share', role: 'img', 'aria-label': `${m.open_percent}% open model` },
      h('span', { class: 'spent', style: `width:${Math.max(0, Math.min(100, Number(m.open_percent) || 0))}%` })),
    h('ol', { class: 'stages', 'aria-label': 'Stages (open share)' }, stages),
    stepChart(m),
    evidence(m),
    h('p', { class: 'headline' }, `Saved ${dollars(m.savings_usd ?? '0')} against the closed baseline (${m.from}).`),
    h('div', { class: 'actions' }, h('label', { for: `${id}-reason` }, 'Reason'), reason, buttons),
    msg,
    history(m));
}

/** The open share after a transition: 0 after a rollback, 100 when complete, else the stage's percent. */
function percentAfter(m, t) {
  const kind = String(t.kind || '').toLowerCase();
  if (kind.includes('rollback')) return 0;
  if (kind === 'complete') return 100;
  const st = m.stages || [];
  return st[Math.min(Number(t.to_stage), st.length - 1)] ?? 0;
}

function stepChart(m) {
  const hist = [...(m.history || [])].filter((t) => t.at).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const now = Date.now();
  const pts = hist.map((t) => ({ t: Date.parse(t.at), p: percentAfter(m, t), label: `${t.kind} (${t.actor})` }));
  if (pts.length) {
    // Before the first recorded transition the route was at that transition's starting stage.
    const span = Math.max(now - pts[0].t, 60000);
    const st = m.stages || [];
    pts.unshift({ t: pts[0].t - span * 0.15, p: st[Math.min(Number(hist[0].from_stage), st.length - 1)] ?? 0, label: 'before' });
  } else {
    pts.push({ t: m.since ? Date.parse(m.since) : now, p: Number(m.open_percent) || 0, label: 'since' });
  }
  const W = 520, H = 140, L = 40, R = 10, T = 10, B = 24;
  const t0 = pts[0].t, t1 = Math.max(now, pts[pts.length - 1].t + 1);
  const x = (t) => L + ((t - t0) / (t1 - t0 || 1)) * (W - L - R);
  const y = (p) => T + (H - T - B) * (1 - p / 100);
  let d = `M${x(pts[0].t).toFixed(1)},${y(pts[0].p).toFixed(1)}`;
  for (let i = 1; i < pts.length; i++) d += ` H${x(pts[i].t).toFixed(1)} V${y(pts[i].p).toFixed(1)}`;
  d += ` H${x(t1).toFixed(1)}`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plot step', role: 'img', 'aria-label': `Open share over time for ${m.route}` });
  for (const p of [0, 50, 100]) svg.append(s('line', { x1: L, x2: W - R, y1: y(p), y2: y(p), class: 'grid' }), s('text', { x: L - 4, y: y(p) + 4, 'text-anchor': 'end', class: 'tick' }, `${p}%`));
  svg.append(s('path', { d, class: 'step-line', fill: 'none' }));
  pts.forEach((p, i) => svg.append(s('circle', { cx: x(p.t).toFixed(1), cy: y(p.p).toFixed(1), r: 3, class: 'step-point' },
    s('title', {}, `${p.label}: ${p.p}%`))));
  svg.append(s('text', { x: L, y: H - 6, class: 'tick' }, shortTime(new Date(Math.round(t0)).toISOString())), s('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'tick' }, 'now'));
  return h('figure', { class: 'chart small' }, h('figcaption', {}, 'Open-model share over time'), svg);
}

function evidence(m) {
  const ev = m.evidence || {};
  const fb = ev.feedback || {}, sh = ev.shadow || {}, tr = ev.traffic || {};
  const side = (o) => o || {};
  const mean = (x) => (x && x.mean != null ? String(x.mean) : '–');
  const row = (label, open, closed) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, open), h('td', { class: 'num' }, closed));
  return h('details', { class: 'evidence', open: true },
    h('summary', {}, 'Evidence'),
    h('table', {},
      h('caption', {}, `Open (${m.to}) against closed (${m.from})`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col', class: 'num' }, 'open'), h('th', { scope: 'col', class: 'num' }, 'closed'))),
      h('tbody', {},
        row('Feedback (count, mean)', `${side(fb.open).count ?? 0}, ${mean(fb.open)}`, `${side(fb.closed).count ?? 0}, ${mean(fb.closed)}`),
        row('Requests', side(tr.open).requests ?? 0, side(tr.closed).requests ?? 0),
        row('Errors', side(tr.open).errors ?? 0, side(tr.closed).errors ?? 0),
        row('Latency p50 / p95 (ms)', `${side(tr.open).latency_ms_p50 ?? '–'} / ${side(tr.open).latency_ms_p95 ?? '–'}`, `${side(tr.closed).latency_ms_p50 ?? '–'} / ${side(tr.closed).latency_ms_p95 ?? '–'}`))),
    h('p', {}, `Shadow comparisons: ${sh.pairs ?? 0} pairs; open model wins ${sh.wins ?? 0}, ties ${sh.ties ?? 0}, losses ${sh.losses ?? 0}.`));
}

function history(m) {
  const items = [...(m.history || [])].reverse().map((t) => h('li', {},
    `${shortTime(t.at)} — ${t.kind} by ${t.actor}: stage ${Number(t.from_stage) + 1} → ${Number(t.to_stage) + 1}`, t.reason ? ` (${t.reason})` : ''));
  return h('details', { class: 'history' }, h('summary', {}, `History (${items.length})`), items.length ? h('ol', { reversed: true }, items) : h('p', {}, 'No transitions yet.'));
}
