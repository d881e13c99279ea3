// Budgets: each team's budget for the current period as a bar (spent, reserved, remaining).
import { api, dollars, h, isMissingEndpoint, micros, notice, shortTime, ApiError } from '../lib.js';

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
  if (budget.limit_usd == null) {
    li.append(h('p', {}, `Token limit: ${budget.limit_tokens ?? 'none'} per ${budget.period}; spent ${dollars(budget.spent_usd)}.`));
    return li;
  }
  const limit = micros(budget.limit_usd);
  const spent = micros(budget.spent_usd);
  const reserved = micros(budget.reserved_usd);
  const pct = (v) => (limit > 0n ? Math.min(100, Number((v * 10000n) / limit) / 100) : 0);
  const used = budget.used_percent != null ? String(budget.used_percent) : String(pct(spent));
  const over = spent + reserved >= limit;
  const labelId = `budget-label-${team.id}`;
  li.append(
    h('p', { id: labelId }, `${dollars(spent)} spent of ${dollars(limit)} per ${budget.period} (${used}%)`,
      reserved > 0n ? `, ${dollars(reserved)} reserved by requests in flight` : '', `; ${dollars(budget.remaining_usd)} remaining.`),
    h('div', { class: `bar${over ? ' over' : ''}`, role: 'progressbar', 'aria-labelledby': labelId, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct(spent) },
      h('span', { class: 'spent', style: `width:${pct(spent)}%` }),
      h('span', { class: 'reserved', style: `width:${Math.max(0, Math.min(100 - pct(spent), pct(reserved)))}%` })),
    h('p', { class: 'hint' }, `Period ${shortTime(budget.period_start)} – ${shortTime(budget.period_end)}; enforcement: ${budget.enforcement}`,
      budget.limit_tokens != null ? `; token limit ${budget.limit_tokens}` : ''));
  return li;
}
