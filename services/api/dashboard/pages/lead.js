import { ApiError } from '../api.js';
import { drawChart, escapeHtml, palette } from '../charts.js';
import { gradeChip, heatFigure, lifecycleChips, plainChip, roleChip, tierChip } from '../chips.js';
import { el, routeLink, section, table } from '../dom.js';
import { whyFromLedger, whyLine } from '../hot-rows.js';

/**
 * A lead's portrait: who they are, why they are this hot (the ledger, drawn and listed), what they did, and the alerts
 * raised for them with a button to take one.
 */

const TAG_KINDS = ['fact', 'stated', 'behavioral', 'quiet'];

/** @param {import('../router.js').PageContext} ctx */
export async function render(ctx) {
  const { t, fmt, signal } = ctx;
  const id = ctx.params[0] ?? '';
  const path = `/leads/${encodeURIComponent(id)}`;
  const [lead, alerts] = await Promise.all([
    ctx.api.get(path, { signal }),
    // The alerts are secondary: the portrait still shows when they cannot be read.
    ctx.api.get(`${path}/alerts`, { signal }).catch((err) => {
      if (err instanceof ApiError && err.status === 401) throw err;
      return err;
    }),
  ]);

  const chart = el('div', { class: 'chart', testid: 'heat-chart', attrs: { role: 'img', 'aria-label': t('lead.heatChart') } });
  const root = el(
    'div',
    { class: 'page', testid: 'lead-page' },
    el('a', { class: 'back', href: '#/hot', text: t('lead.back') }),
    head(),
    el('div', { class: 'columns' }, el('div', { class: 'stack' }, whyHot(), section(t('lead.heatChart'), {}, chart)), alertsCard()),
    section(t('lead.ledger'), {}, ledgerTable()),
    el('div', { class: 'columns' }, section(t('lead.timeline'), {}, timelineTable()), section(t('lead.traits'), {}, traitsTable())),
  );
  if (!ctx.show(root)) return;
  try {
    await drawChart(chart, heatOption(), ctx);
  } catch {
    chart.replaceChildren(el('p', { class: 'muted', text: t('chart.failed') }));
  }
  ctx.ready('lead');

  function head() {
    const tags = TAG_KINDS.filter((k) => lead.tags?.[k]?.length > 0).map((k) =>
      el('div', { class: 'tag-row', data: { kind: k } }, el('span', { class: 'tag-kind', text: t(`tags.${k}`) }), lead.tags[k].map((tag) => plainChip(tag, `tag tag-${k}`))),
    );
    return el(
      'header',
      { class: 'page-head portrait' },
      el('div', { class: 'kicker', text: t('lead.kicker') }),
      el('h1', { class: 'lead-id', text: lead.lead }),
      el(
        'div',
        { class: 'chips' },
        tierChip(ctx, lead.tier),
        gradeChip(ctx, lead.grade),
        el('span', { class: 'muted', text: t('lead.fit', { points: fmt.number(lead.fit?.points ?? 0) }), title: (lead.fit?.matched ?? []).join(', ') }),
        heatFigure(ctx, fmt.heat(lead.heat)),
        lead.role ? [roleChip(ctx, lead.role.role), el('span', { class: 'muted', text: t('lead.roleRule', { rule: lead.role.rule }) })] : null,
      ),
      el('div', { class: 'chips' }, lifecycleChips(ctx, fmt, lead.lifecycle)),
      el(
        'div',
        { class: 'page-meta' },
        lead.company ? routeLink('company', lead.company.id, { testid: 'company-link', text: t('lead.companyLink', { name: lead.company.name ?? lead.company.id }) }) : null,
        lead.lastSeen ? el('span', { class: 'muted', text: t('lead.lastSeen', { time: fmt.relative(lead.lastSeen) }), title: fmt.dateTime(lead.lastSeen) }) : null,
      ),
      tags.length > 0 ? el('div', { class: 'tags' }, tags) : null,
    );
  }

  function whyHot() {
    const lines = lead.ledger?.lines ?? [];
    const top = whyFromLedger(lines);
    const explained = top.reduce((sum, r) => sum + r.heat, 0);
    const older = lead.ledger?.unexplained ?? 0;
    const params = { reasons: whyLine(top, fmt.points), explained: fmt.heat(explained), heat: fmt.heat(lead.heat), older: fmt.heat(older) };
    const text = top.length === 0 ? t('lead.whyNone') : t(older > 0 ? 'lead.whyTextOlder' : 'lead.whyText', params);
    return section(t('lead.whyHot'), {}, el('p', { class: 'why-hot', testid: 'why-hot', text }));
  }

  function ledgerTable() {
    const lines = lead.ledger?.lines ?? [];
    return table(
      [t('col.rule'), t('col.points'), t('col.time'), t('col.left')],
      lines.map((l) => [
        el('code', { text: l.rule }),
        fmt.points(l.weight),
        el('span', { text: fmt.dateTime(l.at), title: t('lead.halfLife', { hours: fmt.number(l.halfLifeHours) }) }),
        fmt.heat(l.left),
      ]),
      { testid: 'ledger', empty: t('lead.whyNone'), numeric: [1, 3] },
    );
  }

  function timelineTable() {
    return table(
      [t('col.time'), t('col.type'), t('col.event'), t('col.order')],
      (lead.timeline ?? []).map((e) => [
        el('span', { class: 'nowrap', text: fmt.dateTime(e.at) }),
        e.type,
        el('span', { class: 'wrap', text: e.event || e.path || t('common.none'), title: e.event && e.path ? e.path : '' }),
        e.revenue ? el('span', { text: fmt.money(e.revenue, e.currency), title: e.orderId ?? '' }) : t('common.none'),
      ]),
      { testid: 'timeline', empty: t('common.empty'), numeric: [3] },
    );
  }

  function traitsTable() {
    const entries = Object.entries(lead.traits ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return table(
      [t('col.trait'), t('col.value')],
      entries.map(([k, v]) => [el('code', { text: k }), el('span', { class: 'wrap', text: typeof v === 'string' ? v : JSON.stringify(v) })]),
      { testid: 'traits', empty: t('common.empty') },
    );
  }

  function alertsCard() {
    const body =
      alerts instanceof Error
        ? el('p', { class: 'form-error', text: t('page.error', { message: alerts.message }) })
        : alerts.alerts.length === 0
          ? el('p', { class: 'muted', text: t('alert.none') })
          : el('ul', { class: 'alerts' }, alerts.alerts.map(alertItem));
    return section(t('lead.alerts'), { testid: 'alerts' }, body);
  }

  function alertItem(a) {
    const channels = (a.channels ?? []).map((c) =>
      plainChip(`${c.channel}: ${c.outcome}`, `outcome outcome-${/^\w+$/.test(c.outcome) ? c.outcome : 'x'}`),
    );
    for (const [i, c] of (a.channels ?? []).entries()) channels[i].title = t('alert.attempts', { count: fmt.int(c.attempts), time: fmt.dateTime(c.lastAt) });
    const ackSlot = el('div', { class: 'ack' });
    showAck(ackSlot, a);
    return el(
      'li',
      { class: 'alert', data: { alert: a.id } },
      el('div', { class: 'alert-head' }, el('code', { text: a.rule }), plainChip(a.kind, 'subtle'), plainChip(a.state, `state state-${/^\w+$/.test(a.state) ? a.state : 'x'}`)),
      el('p', { class: 'alert-action', text: a.action }),
      el('div', { class: 'muted small', text: t('alert.fired', { time: fmt.relative(a.firedAt) }), title: fmt.dateTime(a.firedAt) }),
      a.failedReason ? el('p', { class: 'form-error small', text: t('alert.failed', { reason: a.failedReason }) }) : null,
      channels.length > 0 ? el('div', { class: 'chips' }, channels) : null,
      ackSlot,
    );
  }

  function showAck(slot, a) {
    if (a.ack) {
      slot.replaceChildren(el('span', { class: 'taken', testid: 'acked', text: t('alert.taken', { by: a.ack.by, time: fmt.relative(a.ack.at) }), title: fmt.dateTime(a.ack.at) }));
      return;
    }
    const button = el('button', {
      class: 'primary small',
      testid: 'ack',
      text: t('alert.take'),
      attrs: { type: 'button' },
      on: {
        click: async () => {
          button.setAttribute('disabled', '');
          try {
            const answer = await ctx.api.post(`/alerts/${encodeURIComponent(a.id)}/ack`, { by: ctx.me.name }, { signal });
            showAck(slot, { ...a, ack: answer.ack });
          } catch (err) {
            if (signal.aborted) return;
            button.removeAttribute('disabled');
            slot.append(el('p', { class: 'form-error small', text: t('alert.ackFailed', { message: err.message }) }));
          }
        },
      },
    });
    slot.replaceChildren(button);
  }

  /** The heat curve, with a marker on it at each ledger line (what scored, and when). */
  function heatOption() {
    const curve = (lead.heatCurve ?? lead.heatHistory ?? []).map((p) => [Date.parse(p.at), p.heat]);
    // The curve has a point just after each scoring event: the marker sits there, on the line.
    const heatAt = (ms) => (curve.find(([at]) => at >= ms) ?? curve.at(-1) ?? [ms, 0])[1];
    const markers = (lead.ledger?.lines ?? []).map((l) => {
      const at = Date.parse(l.at);
      return { value: [at, heatAt(at)], rule: l.rule, weight: l.weight };
    });
    return {
      animationDuration: 400,
      grid: palette.grid,
      tooltip: { trigger: 'item', confine: true },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: t('chart.heat'), min: 0 },
      series: [
        {
          type: 'line',
          name: t('chart.heat'),
          data: curve,
          showSymbol: false,
          symbolSize: 6,
          lineStyle: { width: 2, color: palette.heat },
          itemStyle: { color: palette.heat },
          areaStyle: { color: palette.heat, opacity: 0.08 },
          tooltip: { formatter: (p) => `${escapeHtml(fmt.dateTime(p.value[0]))}<br>${escapeHtml(t('chart.heat'))}: <b>${escapeHtml(fmt.heat(p.value[1]))}</b>` },
        },
        {
          type: 'scatter',
          name: t('chart.events'),
          data: markers,
          symbolSize: 10,
          z: 3,
          itemStyle: { color: palette.accent, borderColor: '#fff', borderWidth: 1.5 },
          tooltip: {
            formatter: (p) => `<b>${escapeHtml(p.data.rule)}</b> ${escapeHtml(fmt.points(p.data.weight))}<br>${escapeHtml(fmt.dateTime(p.value[0]))}`,
          },
        },
      ],
    };
  }
}
