import { drawChart, escapeHtml, palette } from '../charts.js';
import { heatFigure, lifecycleChips, roleChip, tierChip } from '../chips.js';
import { el, routeLink, section, table } from '../dom.js';

/**
 * A company at a glance: its heat, which buying roles are engaged and which are missing (and who could fill them),
 * and its people, hottest first.
 */

/** @param {import('../router.js').PageContext} ctx */
export async function render(ctx) {
  const { t, fmt, signal } = ctx;
  const id = ctx.params[0] ?? '';
  const company = await ctx.api.get(`/companies/${encodeURIComponent(id)}`, { signal });
  const group = company.buyingGroup ?? { windowDays: 0, engaged: [], missing: [], couldFill: {} };

  const chart = el('div', { class: 'chart', testid: 'company-heat-chart', attrs: { role: 'img', 'aria-label': t('company.heatChart') } });
  const root = el(
    'div',
    { class: 'page', testid: 'company-page' },
    el('a', { class: 'back', href: '#/hot', text: t('lead.back') }),
    el(
      'header',
      { class: 'page-head portrait' },
      el('div', { class: 'kicker', text: t('company.kicker') }),
      el('h1', { text: company.name ?? company.company }),
      company.name ? el('div', { class: 'muted mono', text: company.company }) : null,
      el('div', { class: 'chips' }, heatFigure(ctx, fmt.heat(company.heat)), lifecycleChips(ctx, fmt, company.lifecycle)),
    ),
    el('div', { class: 'columns' }, buyingGroup(), section(t('company.heatChart'), {}, chart)),
    section(t('company.members'), {}, members()),
  );
  if (!ctx.show(root)) return;
  try {
    await drawChart(chart, heatOption(), ctx);
  } catch {
    chart.replaceChildren(el('p', { class: 'muted', text: t('chart.failed') }));
  }
  ctx.ready('company');

  function buyingGroup() {
    const engaged = el(
      'div',
      { class: 'chips roles', testid: 'roles-engaged' },
      group.engaged.length > 0 ? group.engaged.map((r) => roleChip(ctx, r, { class: 'engaged' })) : el('span', { class: 'muted', text: t('company.noneEngaged') }),
    );
    const missing = el(
      'ul',
      { class: 'roles-missing', testid: 'roles-missing' },
      group.missing.map((r) => {
        const who = group.couldFill?.[r] ?? [];
        return el(
          'li',
          {},
          roleChip(ctx, r, { class: 'missing' }),
          el('span', { class: 'muted', text: who.length > 0 ? t('company.couldFill') : t('company.nobody') }),
          who.map((lead) => routeLink('lead', lead, { class: 'fill' })),
        );
      }),
    );
    return section(
      t('company.buyingGroup'),
      { class: 'card buying-group' },
      el('h3', { text: t('company.engaged', { days: fmt.int(group.windowDays) }) }),
      engaged,
      el('h3', { text: t('company.missing') }),
      group.missing.length > 0 ? missing : el('p', { class: 'muted', text: t('company.allEngaged') }),
    );
  }

  function members() {
    return table(
      [t('col.lead'), t('col.role'), t('col.tier'), t('col.heat'), t('col.lastSeen')],
      (company.members ?? []).map((m) => [
        routeLink('lead', m.lead),
        roleChip(ctx, m.role),
        tierChip(ctx, m.tier),
        fmt.heat(m.heat),
        el('span', { class: 'muted', text: m.lastSeen ? fmt.relative(m.lastSeen) : t('common.none'), title: m.lastSeen ? fmt.dateTime(m.lastSeen) : '' }),
      ]),
      { testid: 'members', empty: t('common.empty'), numeric: [3], rowProps: (i) => ({ data: { lead: company.members[i].lead } }) },
    );
  }

  function heatOption() {
    const points = (company.heatHistory ?? []).map((p) => [Date.parse(p.at), p.heat]);
    return {
      animationDuration: 400,
      grid: palette.grid,
      tooltip: { trigger: 'axis', confine: true, formatter: (ps) => ps.map((p) => `${escapeHtml(fmt.dateTime(p.value[0]))}<br>${escapeHtml(t('chart.heat'))}: <b>${escapeHtml(fmt.heat(p.value[1]))}</b>`).join('<br>') },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: t('chart.heat'), min: 0 },
      series: [
        {
          type: 'line',
          name: t('chart.heat'),
          data: points,
          symbolSize: 6,
          lineStyle: { width: 2, color: palette.heat },
          itemStyle: { color: palette.heat },
          areaStyle: { color: palette.heat, opacity: 0.08 },
        },
      ],
    };
  }
}
