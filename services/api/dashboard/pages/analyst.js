import { drawChart, escapeHtml, palette } from '../charts.js';
import { el, section } from '../dom.js';

/**
 * The analysts' snapshot: the RFM grid and the lifecycle funnel, each with the SQL that produced it, so an analyst
 * can rerun it in ClickHouse and trust the picture.
 */

const STAGES = ['prospect', 'new', 'active', 'dormant', 'churned'];
const SCORES = ['1', '2', '3', '4', '5'];

/** @param {import('../router.js').PageContext} ctx */
export async function render(ctx) {
  const { t, fmt, signal } = ctx;
  const [rfm, lifecycle] = await Promise.all([ctx.api.get('/analytics/rfm', { signal }), ctx.api.get('/analytics/lifecycle', { signal })]);
  const snapshots = lifecycle.snapshots ?? [];
  const latest = snapshots.at(-1) ?? null;
  const hasRfm = rfm.asOf !== null && (rfm.cells ?? []).length > 0;

  const grid = el('div', { class: 'chart square', testid: 'rfm-grid', attrs: { role: 'img', 'aria-label': t('analyst.rfm') } });
  const funnel = el('div', { class: 'chart', testid: 'lifecycle-funnel', attrs: { role: 'img', 'aria-label': t('analyst.funnel') } });
  const history = el('div', { class: 'chart', testid: 'lifecycle-history', attrs: { role: 'img', 'aria-label': t('analyst.history') } });
  const asOf = rfm.asOf ?? latest?.asOf ?? null;

  const root = el(
    'div',
    { class: 'page', testid: 'analyst-page' },
    el(
      'header',
      { class: 'page-head' },
      el('h1', { text: t('analyst.title') }),
      el(
        'div',
        { class: 'page-meta' },
        asOf ? el('span', { class: 'muted', text: t('analyst.asOf', { time: fmt.dateTime(asOf) }) }) : null,
        el('a', { testid: 'analysts-doc', href: '/dashboard/analysts.md', text: t('analyst.doc'), attrs: { target: '_blank', rel: 'noopener' } }),
      ),
    ),
    el(
      'div',
      { class: 'columns' },
      section(t('analyst.rfm'), {}, el('p', { class: 'muted small', text: t('analyst.rfmHelp') }), hasRfm ? grid : empty(), sql(rfm.sql)),
      section(t('analyst.funnel'), {}, latest ? funnel : empty(), sql(lifecycle.sql)),
    ),
    snapshots.length > 1 ? section(t('analyst.history'), {}, history) : null,
  );
  if (!ctx.show(root)) return;
  try {
    await Promise.all([
      hasRfm ? drawChart(grid, rfmOption(), ctx) : null,
      latest ? drawChart(funnel, funnelOption(), ctx) : null,
      snapshots.length > 1 ? drawChart(history, historyOption(), ctx) : null,
    ]);
  } catch {
    for (const chart of [grid, funnel, history]) if (!chart.dataset.rendered) chart.replaceChildren(el('p', { class: 'muted', text: t('chart.failed') }));
  }
  ctx.ready('analyst');

  function empty() {
    return el('p', { class: 'empty-state', testid: 'analyst-empty', text: t('analyst.empty') });
  }

  function sql(text) {
    return el('details', { class: 'sql', attrs: { open: '' } }, el('summary', { text: t('analyst.sql') }), el('pre', { testid: 'sql', text: text ?? '' }));
  }

  /** 5×5: F across (1..5), R up (1 at the bottom, so rows read 5..1 from the top); every cell drawn, empty ones as 0. */
  function rfmOption() {
    const byCell = new Map(rfm.cells.map((c) => [`${c.r}:${c.f}`, c]));
    const data = [];
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++) {
        const c = byCell.get(`${r}:${f}`);
        data.push({ value: [f - 1, r - 1, c?.buyers ?? 0], revenue: c?.revenue ?? 0, r, f });
      }
    const max = Math.max(1, ...data.map((d) => d.value[2]));
    return {
      animationDuration: 300,
      grid: { left: 56, right: 16, top: 16, bottom: 84 },
      tooltip: {
        confine: true,
        formatter: (p) =>
          `R${escapeHtml(p.data.r)} · F${escapeHtml(p.data.f)}<br>${escapeHtml(t('analyst.buyers'))}: <b>${escapeHtml(fmt.int(p.data.value[2]))}</b><br>${escapeHtml(t('analyst.revenue'))}: <b>${escapeHtml(fmt.number(p.data.revenue))}</b>`,
      },
      xAxis: { type: 'category', data: SCORES, name: t('analyst.frequency'), nameLocation: 'middle', nameGap: 28, splitArea: { show: true } },
      yAxis: { type: 'category', data: SCORES, name: t('analyst.recency'), nameLocation: 'middle', nameGap: 36, splitArea: { show: true } },
      visualMap: { min: 0, max, dimension: 2, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, inRange: { color: ['#eef2ff', '#6366f1', '#312e81'] } },
      series: [{ type: 'heatmap', data, label: { show: true, formatter: (p) => fmt.int(p.value[2]) }, emphasis: { itemStyle: { borderColor: '#111827', borderWidth: 1 } } }],
    };
  }

  function stageName(stage) {
    return t(`stage.${stage}`);
  }

  /** The latest snapshot's stages in lifecycle order (not sorted by size: the order is the meaning). */
  function funnelOption() {
    return {
      animationDuration: 300,
      tooltip: { trigger: 'item', confine: true, formatter: (p) => `${escapeHtml(p.name)}: <b>${escapeHtml(fmt.int(p.value))}</b>` },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          left: '6%',
          width: '62%',
          top: 12,
          bottom: 12,
          minSize: '8%',
          gap: 2,
          // Beside the shape, not inside: a small stage's slice is too narrow for its label.
          label: { show: true, position: 'right', color: '#1f2933', formatter: (p) => `${p.name}  ${fmt.int(p.value)}` },
          labelLine: { show: true, length: 12 },
          data: STAGES.map((s) => ({ name: stageName(s), value: Number(latest[s] ?? 0), itemStyle: { color: palette.stages[s] } })),
        },
      ],
    };
  }

  function historyOption() {
    return {
      animationDuration: 300,
      grid: { ...palette.grid, top: 40 },
      legend: { top: 0 },
      tooltip: {
        trigger: 'axis',
        confine: true,
        formatter: (ps) => [escapeHtml(fmt.dateTime(ps[0]?.value[0])), ...ps.map((p) => `${p.marker}${escapeHtml(p.seriesName)}: <b>${escapeHtml(fmt.int(p.value[1]))}</b>`)].join('<br>'),
      },
      xAxis: { type: 'time' },
      yAxis: { type: 'value' },
      series: STAGES.map((s) => ({
        type: 'line',
        name: stageName(s),
        stack: 'leads',
        areaStyle: { opacity: 0.35 },
        symbolSize: 4,
        itemStyle: { color: palette.stages[s] },
        lineStyle: { width: 1.5 },
        data: snapshots.map((snap) => [Date.parse(snap.asOf), Number(snap[s] ?? 0)]),
      })),
    };
  }
}
