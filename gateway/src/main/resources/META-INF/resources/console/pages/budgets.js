// Budgets: each team's budget for the current period as a bar (spent, reserved, remaining).
import { api, dollars, h, isMissingEndpoint, micros, notice, percentOf, perPeriod, shortTime, ApiError } from '../lib.js';

export async function budgetsPage() {
  const teams = await api('/admin/teams');
  let endpointMissing = false;
  const rows = await Promise.all(teams.data.map(async (t) => {
    try {
      return { team: t, budget: await api(`/admin/teams/${encodeURIComponent(t.id)}/budget`) };
    } catch (e) {
      if (isMissingEndpoint(e)) endpointMissing = true;
      if (e instanceof ApiError && e.status === 404) return { team: t, budget: null };
      return { team: t, error: e };
    }
  }));
  const section = h('section', { class: 'page', 'aria-labelledby': 'budgets-title' }, h('h2', { id: 'budgets-title' }, 'Budgets'));
  if (endpointMissing) section.append(notice('Budget status is not available on this gateway (GET /admin/teams/{team}/budget answered 404).', 'warn'));
  if (!rows.length) section.append(notice('No teams yet.'));
  const list = h('ul', { class: 'cards', id: 'budget-list' });
  for (const r of rows) list.append(card(r, endpointMissing));
  section.append(list);
  return section;
}

function card({ team, budget, error }, endpointMissing) {
  const li = h('li', { class: 'card', 'data-team': team.id },
    h('h3', {}, team.name && team.name !== team.id ? `${team.name} (${team.id})` : team.id),
    h('p', { class: 'hint' }, `Use class: ${team.use_class}`));
  if (error) { li.append(notice(`Could not load the budget: ${error.message}`, 'error')); return li; }
  if (!budget) { li.append(h('p', {}, endpointMissing ? 'Budget status unavailable.' : 'No budget.')); return li; }
  const labelId = `budget-label-${team.id}`;
  const per = perPeriod(budget.period);
  // used_percent is the API's: spent plus reserved against the limit (the larger of money and tokens).
  const used = budget.used_percent != null ? String(budget.used_percent) : null;
  const usedNum = used != null ? Number(used) : 0;
  if (budget.limit_usd != null) {
    const limit = micros(budget.limit_usd);
    const spent = micros(budget.spent_usd);
    const reserved = micros(budget.reserved_usd);
    const pct = (v) => Math.min(100, Number(percentOf(v, limit)));
    const over = spent > limit;
    li.append(
      h('p', { id: labelId, 'data-field': 'summary' }, `${dollars(spent)} spent of ${dollars(limit)} ${per} (${percentOf(spent, limit)}%).`),
      h('p', { 'data-field': 'detail' },
        reserved > 0n ? `${dollars(reserved)} reserved (leased for requests, not yet spent); ` : '',
        over ? `${dollars(spent - limit)} over the limit` : `${dollars(budget.remaining_usd)} remaining`,
        used != null ? `; ${used}% used including reserved.` : '.'),
      bar(labelId, usedNum, used, pct(spent), pct(reserved), over));
  }
  if (budget.limit_tokens != null) {
    const tokenId = `${labelId}-tokens`;
    const spentT = BigInt(budget.spent_tokens ?? 0);
    const limitT = BigInt(budget.limit_tokens);
    const pctT = limitT > 0n ? Math.min(100, Number((spentT * 10000n) / limitT) / 100) : 0;
    li.append(h('p', { id: tokenId, 'data-field': 'tokens' }, `${spentT} of ${limitT} tokens ${per}; ${budget.remaining_tokens ?? 0} remaining.`));
    if (budget.limit_usd == null) li.append(bar(tokenId, usedNum, used, pctT, 0, spentT > limitT));
  }
  const thresholds = (budget.alert_thresholds || []).map((t) => `${t}%`).join(', ');
  li.append(h('p', { class: 'hint' },
    budget.period_end ? `Period ${shortTime(budget.period_start)} – ${shortTime(budget.period_end)}` : `Since ${shortTime(budget.period_start)}`,
    `; enforcement: ${budget.enforcement === 'soft' ? 'soft (alerts only, requests are not refused)' : budget.enforcement === 'hard' ? 'hard (requests over the limit are refused)' : budget.enforcement}`,
    thresholds ? `; alerts at ${thresholds}` : '',
    budget.key_id ? `; key ${budget.key_id}` : ''));
  return li;
}

/** A progress bar: spent (dark, red when over the limit) and reserved (light); its value is the API's used_percent. */
function bar(labelId, usedNum, used, spentPct, reservedPct, over) {
  return h('div', { class: `bar${over ? ' over' : ''}`, role: 'progressbar', 'aria-labelledby': labelId,
    'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.min(100, usedNum),
    'aria-valuetext': `${spentPct}% spent${used != null ? `, ${used}% used including reserved` : ''}` },
  h('span', { class: 'spent', style: `width:${spentPct}%` }),
  h('span', { class: 'reserved', style: `width:${Math.max(0, Math.min(100 - spentPct, reservedPct))}%` }));
}
