// One migration's report (#migrations/<route>): the decision the rule would take now, per-period evidence, the
// decision trail, the open share of requests over time, and the savings so far (GET /admin/migrations/{route}/report).
import { api, dollars, h, isMissingEndpoint, notice, s, shortTime } from '../lib.js';

export async function migrationReportPage(route) {
  const section = h('section', { class: 'page report', 'aria-labelledby': 'report-title' },
    h('p', {}, h('a', { href: '#migrations' }, '← All migrations')),
    h('h2', { id: 'report-title' }, `Migration report: ${route}`));
  let r;
  try {
    r = await api(`/admin/migrations/${encodeURIComponent(route)}/report`);
  } catch (e) {
    if (isMissingEndpoint(e)) { section.append(notice(`No migration report for '${route}': ${e.message}`, 'warn')); return section; }
    throw e;
  }
  const status = String(r.status || '').toLowerCase();
  section.append(
    h('p', { class: 'state' }, h('span', { class: `badge ${status}`, 'data-field': 'status' }, status.replace('_', ' ')),
      ` ${r.from} → ${r.to}; `, h('strong', { 'data-field': 'open_percent' }, `${r.open_percent}%`), ' open now.'),
    h('p', { class: 'headline', 'data-field': 'savings' }, `Saved ${dollars(r.savings_usd ?? '0')} so far against ${r.from}.`),
    h('p', { 'data-field': 'next-decision' }, h('strong', {}, `Next decision: ${r.next_decision.verdict}`), ` (${r.next_decision.reason})`),
    shareChart(r),
    periodsTable(r),
    trail(r));
  return section;
}

function shareChart(r) {
  const buckets = (r.open_share && r.open_share.buckets) || [];
  const unit = (r.open_share && r.open_share.unit) || 'minute';
  if (!buckets.length) return h('figure', { class: 'chart small', id: 'open-share' }, h('figcaption', {}, 'Open share of requests over time'), notice('No requests yet.'));
  const W = 520, H = 150, L = 40, R = 10, T = 10, B = 24;
  const bw = (W - L - R) / buckets.length;
  const y = (p) => T + (H - T - B) * (1 - p);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plot step', role: 'img', 'aria-label': `Open share of ${r.route}'s requests per ${unit}` });
  for (const p of [0, 0.5, 1]) svg.append(s('line', { x1: L, x2: W - R, y1: y(p), y2: y(p), class: 'grid' }), s('text', { x: L - 4, y: y(p) + 4, 'text-anchor': 'end', class: 'tick' }, `${p * 100}%`));
  buckets.forEach((b, i) => {
    const share = Number(b.open_share) || 0;
    svg.append(s('rect', { x: (L + i * bw + 1).toFixed(1), y: y(share).toFixed(1), width: Math.max(1, bw - 2).toFixed(1),
      height: (y(0) - y(share)).toFixed(1), class: 'share-bar', 'data-share': share },
      s('title', {}, `${shortTime(b.start)}: ${b.open_requests} of ${b.requests} requests open (${Math.round(share * 100)}%)`)));
  });
  svg.append(s('text', { x: L, y: H - 6, class: 'tick' }, shortTime(buckets[0].start)), s('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'tick' }, `per ${unit}`));
  return h('figure', { class: 'chart small', id: 'open-share' }, h('figcaption', {}, 'Open share of requests over time'), svg);
}

function periodsTable(r) {
  const cols = ['Stage', 'Open', 'From', 'Until', 'Requests open / closed', 'Errors open / closed', 'Feedback users open / closed', 'Mean open / closed',
    'Shadow (open wins / ties / losses)', 'Ended by'];
  const num = (x) => (x == null ? '–' : String(x));
  const rows = (r.periods || []).map((p, i) => {
    const ev = p.evidence || {}, tr = ev.traffic || {}, fb = ev.feedback || {}, sh = ev.shadow || {};
    const o = tr.open || {}, c = tr.closed || {}, fo = fb.open || {}, fc = fb.closed || {};
    const end = p.ended_by;
    return h('tr', { 'data-period': i },
      h('td', {}, `${Number(p.stage_index) + 1} (${String(p.status).replace('_', ' ')})`),
      h('td', { class: 'num' }, `${p.open_percent}%`),
      h('td', { class: 'nowrap' }, shortTime(p.from)),
      h('td', { class: 'nowrap' }, p.to ? shortTime(p.to) : 'now'),
      h('td', { class: 'num' }, `${num(o.requests ?? 0)} / ${num(c.requests ?? 0)}`),
      h('td', { class: 'num' }, `${num(o.errors ?? 0)} / ${num(c.errors ?? 0)}`),
      h('td', { class: 'num' }, `${num(fo.users ?? 0)} / ${num(fc.users ?? 0)}`),
      h('td', { class: 'num' }, `${num(fo.mean)} / ${num(fc.mean)}`),
      h('td', { class: 'num' }, `${num(sh.wins ?? 0)} / ${num(sh.ties ?? 0)} / ${num(sh.losses ?? 0)}`),
      h('td', { 'data-field': 'ended-by' }, end ? `${end.kind} (${end.actor}): ${end.reason}` : '–'));
  });
  return h('div', { class: 'scroll' }, h('table', { id: 'report-periods' },
    h('caption', {}, 'Evidence per stage (feedback and shadows counted per end user)'),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}

function trail(r) {
  const items = (r.decision_trail || []).map((t) => h('li', { 'data-kind': t.kind, 'data-actor': t.actor },
    `${shortTime(t.at)} — ${t.kind} by ${t.actor}: stage ${Number(t.from_stage) + 1} → ${Number(t.to_stage) + 1}`, t.reason ? ` (${t.reason})` : ''));
  return h('section', { 'aria-labelledby': 'trail-title' }, h('h3', { id: 'trail-title' }, 'Decision trail'),
    items.length ? h('ol', { id: 'decision-trail' }, items) : notice('No transitions yet.'));
}
