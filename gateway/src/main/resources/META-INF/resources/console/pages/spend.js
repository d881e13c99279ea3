// Spend: per-team spend per day as an SVG line chart with budget limits, the numbers in a table, and the savings report.
import { api, colour, dollars, fill, h, isoDay, micros, notice, percentOf, perPeriod, s, table, td, ApiError } from '../lib.js';

const state = { from: null, to: null, metric: 'team_charge_usd', mode: 'daily' };
const METRICS = { team_charge_usd: 'Team charge', provider_cost_usd: 'Provider cost', baseline_cost_usd: 'Closed baseline cost' };

function defaults() {
  if (state.from) return;
  const today = new Date();
  state.to = isoDay(today);
  state.from = isoDay(new Date(today.getTime() - 13 * 86400000));
}

function days(from, to) {
  const out = [];
  for (let d = new Date(`${from}T00:00:00Z`); isoDay(d) <= to && out.length < 400; d = new Date(d.getTime() + 86400000)) out.push(isoDay(d));
  return out;
}

function nextDay(day) { return isoDay(new Date(new Date(`${day}T00:00:00Z`).getTime() + 86400000)); }

async function budgetOf(team) {
  try { return await api(`/admin/teams/${encodeURIComponent(team)}/budget`); } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function spendPage({ rerender }) {
  defaults();
  const q = `from=${state.from}&to=${nextDay(state.to)}`;
  const [usage, teams, savings, sources] = await Promise.all([
    api(`/admin/usage?group_by=day,team&${q}`),
    api('/admin/teams'),
    api(`/admin/savings?period=day&${q}`).catch((e) => ({ error: e })),
    api(`/admin/usage?group_by=token_source&${q}`).catch(() => null),
  ]);
  const groups = usage.groups || [];
  const teamNames = [...new Set([...teams.data.map((t) => t.id), ...groups.map((g) => g.team)])].sort();
  const budgets = Object.fromEntries(await Promise.all(teamNames.map(async (t) => [t, await budgetOf(t).catch(() => null)])));

  return h('section', { class: 'page', 'aria-labelledby': 'spend-title' },
    h('h2', { id: 'spend-title' }, 'Spend'),
    controls(rerender),
    chart(groups, teamNames, budgets),
    spendTable(groups, usage.total),
    tokenSources(sources),
    savingsReport(savings));
}

function controls(rerender) {
  const from = h('input', { type: 'date', id: 'spend-from', value: state.from, required: true });
  const to = h('input', { type: 'date', id: 'spend-to', value: state.to, required: true });
  const metric = h('select', { id: 'spend-metric' },
    Object.entries(METRICS).map(([k, label]) => h('option', { value: k, selected: k === state.metric }, label)));
  const mode = h('select', { id: 'spend-mode' },
    h('option', { value: 'daily', selected: state.mode === 'daily' }, 'per day'),
    h('option', { value: 'cumulative', selected: state.mode === 'cumulative' }, 'cumulative'));
  return h('form', { class: 'controls', onsubmit: (e) => {
    e.preventDefault();
    if (!from.value || !to.value || from.value > to.value) { from.setCustomValidity('From must be on or before To'); from.reportValidity(); return; }
    from.setCustomValidity('');
    Object.assign(state, { from: from.value, to: to.value, metric: metric.value, mode: mode.value });
    rerender();
  } },
  h('label', { for: 'spend-from' }, 'From (UTC)'), from,
  h('label', { for: 'spend-to' }, 'To (UTC, inclusive)'), to,
  h('label', { for: 'spend-metric' }, 'Amount'), metric,
  h('label', { for: 'spend-mode' }, 'Show'), mode,
  h('button', { type: 'submit' }, 'Show'));
}

/** One line per team: spend per day (or running total), with each team's budget limit as a dashed line. */
function chart(groups, teamNames, budgets) {
  const dayList = days(state.from, state.to);
  const active = teamNames.filter((t) => groups.some((g) => g.team === t));
  const figure = h('figure', { class: 'chart', id: 'spend-chart' });
  const caption = h('figcaption', {}, `${METRICS[state.metric]} per team, ${state.mode === 'daily' ? 'per day' : 'cumulative'}, ${state.from} to ${state.to} (UTC)`);
  if (active.length === 0) return fill(figure, caption, notice('No usage in this period.'));

  const series = active.map((team) => {
    let run = 0n;
    const points = dayList.map((day) => {
      const v = groups.filter((g) => g.team === team && g.day === day).reduce((a, g) => a + micros(g[state.metric]), 0n);
      run += v;
      return { day, value: state.mode === 'daily' ? v : run };
    });
    return { team, points };
  });
  let max = series.reduce((m, sr) => sr.points.reduce((mm, p) => (p.value > mm ? p.value : mm), m), 0n);
  const limits = active.map((t) => ({ team: t, budget: budgets[t] })).filter((b) => b.budget && b.budget.limit_usd != null)
    .map((b) => ({ ...b, limit: micros(b.budget.limit_usd) }));
  // A limit far above the data would flatten every line: draw it only when within 4x the largest value.
  const drawn = limits.filter((l) => max === 0n || l.limit <= max * 4n);
  for (const l of drawn) if (l.limit > max) max = l.limit;
  const step = niceStep(max);
  max = step * 4n;

  const W = 760, H = 300, L = 90, R = 20, T = 16, B = 40;
  const x = (i) => L + (dayList.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (dayList.length - 1));
  const y = (v) => T + (H - T - B) * (1 - Number(v) / Number(max));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'spend-chart-title', class: 'plot' },
    s('title', { id: 'spend-chart-title' }, `${METRICS[state.metric]} per team per day`));
  // axes and grid
  for (let k = 0; k <= 4; k++) {
    const v = step * BigInt(k);
    svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, dollars(v)));
  }
  const every = Math.max(1, Math.ceil(dayList.length / 8));
  dayList.forEach((d, i) => {
    if (i % every === 0 || i === dayList.length - 1) svg.append(s('text', { x: x(i), y: H - B + 18, 'text-anchor': 'middle', class: 'tick' }, d.slice(5)));
  });
  svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }), s('line', { x1: L, x2: L, y1: T, y2: H - B, class: 'axis' }));

  for (const l of drawn) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(l.limit), y2: y(l.limit), class: 'limit', stroke: colour(l.team, teamNames),
      'data-team': l.team, 'data-limit-usd': l.budget.limit_usd, 'data-spent-usd': l.budget.spent_usd },
    s('title', {}, `${l.team} budget: ${budgetText(l)}`)));
  }
  for (const sr of series) {
    const c = colour(sr.team, teamNames);
    const g = s('g', { class: 'series', 'data-team': sr.team });
    g.append(s('polyline', { points: sr.points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '), fill: 'none', stroke: c, 'stroke-width': 2 }));
    sr.points.forEach((p, i) => {
      if (state.mode === 'daily' && p.value === 0n) return;
      g.append(s('circle', { cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 3.5, fill: c, 'data-day': p.day, 'data-value': dollars(p.value) },
        s('title', {}, `${sr.team}, ${p.day}: ${dollars(p.value)}`)));
    });
    svg.append(g);
  }
  const legend = h('ul', { class: 'legend' }, active.map((t) => {
    const l = limits.find((b) => b.team === t);
    return h('li', {}, h('span', { class: 'swatch', style: `background:${colour(t, teamNames)}`, 'aria-hidden': 'true' }), t,
      l ? h('span', { 'data-budget': t }, ` — budget ${budgetText(l)}${drawn.includes(l) ? ' (dashed line)' : ' (above the chart)'}`) : '');
  }));
  return fill(figure, caption, svg, legend);
}

/** "$0.000400 per month, $0.000225 spent (56.25%)": the budget as GET /admin/teams/{team}/budget has it. */
function budgetText(l) {
  const b = l.budget;
  return `${dollars(l.limit)} ${perPeriod(b.period)}, ${dollars(b.spent_usd)} spent (${percentOf(micros(b.spent_usd), l.limit)}%)`;
}

/** The smallest 1, 2 or 5 x 10^n micro-USD step with four steps covering max (exact, in BigInt). */
function niceStep(max) {
  for (let p = 1n; ; p *= 10n) {
    for (const m of [1n, 2n, 5n]) if (m * p * 4n >= max) return m * p;
  }
}

function spendTable(groups, total) {
  const rows = [...groups].sort((a, b) => (a.day === b.day ? a.team.localeCompare(b.team) : a.day < b.day ? 1 : -1)).map((g) =>
    h('tr', { 'data-day': g.day, 'data-team': g.team },
      td(g.day), td(g.team), td(g.requests, true), td(g.prompt_tokens, true), td(g.completion_tokens, true),
      td(dollars(g.team_charge_usd), true, { 'data-field': 'team_charge_usd' }),
      td(dollars(g.provider_cost_usd), true, { 'data-field': 'provider_cost_usd' }),
      td(dollars(g.baseline_cost_usd), true, { 'data-field': 'baseline_cost_usd' })));
  // Exact sums of the rows, in micro-USD; shown next to the API's own total.
  const sum = (f) => groups.reduce((a, g) => a + micros(g[f]), 0n);
  const foot = h('tfoot', {},
    h('tr', { class: 'total', 'data-total': 'rows' }, h('th', { scope: 'row', colspan: 2 }, 'Total of rows'),
      td(groups.reduce((a, g) => a + Number(g.requests), 0), true), td(groups.reduce((a, g) => a + Number(g.prompt_tokens), 0), true),
      td(groups.reduce((a, g) => a + Number(g.completion_tokens), 0), true),
      td(dollars(sum('team_charge_usd')), true, { 'data-field': 'team_charge_usd' }), td(dollars(sum('provider_cost_usd')), true, { 'data-field': 'provider_cost_usd' }),
      td(dollars(sum('baseline_cost_usd')), true, { 'data-field': 'baseline_cost_usd' })));
  const t = table('Usage per day and team', [
    { label: 'Day (UTC)' }, { label: 'Team' }, { label: 'Requests', num: true }, { label: 'Prompt tokens', num: true },
    { label: 'Completion tokens', num: true }, { label: 'Team charge', num: true }, { label: 'Provider cost', num: true },
    { label: 'Closed baseline', num: true }], rows.length ? rows : [h('tr', {}, h('td', { colspan: 8 }, 'No usage in this period.'))],
  { id: 'spend-table' });
  if (groups.length) t.append(foot);
  return h('div', { class: 'scroll' }, t,
    total ? h('p', { class: 'hint' }, `Gateway total for the period: ${total.requests} requests, team charge ${dollars(total.team_charge_usd)}, provider cost ${dollars(total.provider_cost_usd)}.`) : null,
    total ? h('p', { class: 'hint', id: 'shadow-total' }, `Shadow and judge calls (the operator's evaluation, never team spend, not in the figures above): ${total.shadow_requests ?? 0} requests, provider cost ${dollars(total.shadow_cost_usd)}.`) : null);
}

/** How the period's token counts were obtained: provider reports, the embedded engine's counts, or estimates. */
function tokenSources(sources) {
  const groups = (sources && sources.groups) || [];
  if (!groups.length) return null;
  const parts = groups.map((g) => `${g.requests} ${g.token_source}`);
  return h('p', { class: 'hint', id: 'token-sources' }, `Token counts of these requests: ${parts.join(', ')} `
    + '(provider: reported by the provider; engine: counted by the embedded engine; estimated: the provider reported none, e.g. a stream cut short).');
}

/** An amount, or "no baseline" when the API has none (not a zero saving). */
function orNoBaseline(v) { return v == null ? 'no baseline' : dollars(v); }

function savingsReport(savings) {
  const section = h('section', { 'aria-labelledby': 'savings-title', id: 'savings' }, h('h3', { id: 'savings-title' }, 'Savings against the closed baseline'));
  if (savings.error) return fill(section, section.firstChild, notice(`Savings report unavailable: ${savings.error.message}`, 'error'));
  const rows = (savings.data || []).map((r) => h('tr', { 'data-route': r.route, 'data-team': r.team },
    td(r.period_start), td(r.route), td(r.team), td(r.requests, true), td(dollars(r.actual_cost_usd), true),
    td(dollars(r.team_charge_usd), true), td(orNoBaseline(r.baseline_cost_usd), true),
    td(orNoBaseline(r.saving_usd), true, { class: r.saving_usd != null && micros(r.saving_usd) < 0n ? 'neg' : null })));
  const flags = [];
  if (savings.requests_without_baseline) flags.push(`${savings.requests_without_baseline} requests have no priced baseline and are left out of the saving`);
  if (savings.unpriced_open_requests) flags.push(`${savings.unpriced_open_requests} requests ran on an open deployment without a price (their saving reads as 100%)`);
  if (savings.shadow_requests) flags.push(`shadow and judge calls cost ${dollars(savings.shadow_cost_usd)} on top (${savings.shadow_requests} requests)`);
  section.append(
    h('p', { class: 'headline', id: 'savings-total' }, savings.saving_usd == null
      ? `No baseline: no request in this period has a priced closed baseline (actual provider cost ${dollars(savings.actual_cost_usd)}).`
      : `Saved ${dollars(savings.saving_usd)}: actual provider cost ${dollars(savings.actual_cost_usd)} against ${dollars(savings.baseline_cost_usd)} on the closed baseline.`),
    ...(flags.length ? [h('p', { class: 'hint', id: 'savings-flags' }, `${flags.join('; ')}. Savings re-price the served model's tokens; another tokenizer would count differently.`)] : []),
    h('div', { class: 'scroll' }, table('Savings per day, route and team', [
      { label: 'Day (UTC)' }, { label: 'Route' }, { label: 'Team' }, { label: 'Requests', num: true }, { label: 'Actual cost', num: true },
      { label: 'Team charge', num: true }, { label: 'Baseline cost', num: true }, { label: 'Saving', num: true }],
    rows.length ? rows : [h('tr', {}, h('td', { colspan: 8 }, 'No savings data in this period.'))], { id: 'savings-table' })));
  return section;
}
