import { ApiError } from '../api.js';
import { gradeChip, roleChip, tierChip } from '../chips.js';
import { el, routeLink } from '../dom.js';
import { upsertRow, whyLine } from '../hot-rows.js';

/**
 * Hot now: the ranking as the last sweep left it, kept current by the live feed. Deliberately light (no chart
 * library): it is the page a salesperson opens first and keeps open.
 */

const PAGE_SIZE = 50;
const NOT_READY_RETRY_MS = 5_000;
const FILTER_TYPING_MS = 350;
const HIGHLIGHT_MS = 2_500;

const TIERS = ['hot', 'warm', 'cold'];
const ROLES = ['EB', 'UB', 'TB', 'Coach'];
const STAGES = ['prospect', 'new', 'active', 'dormant', 'churned'];

/** The filters outlive the page (kept while the tab is open), so going to a lead and back keeps the view. */
const filters = { tier: '', role: '', stage: '', owner: '', tag: '', company: '' };

/** @param {import('../router.js').PageContext} ctx */
export async function render(ctx) {
  const { t, fmt, signal } = ctx;
  /** @type {{ rows: import('../hot-rows.js').Row[], cursor: string | null, ranking: string | null }} */
  const list = { rows: [], cursor: null, ranking: null };
  /** Rows keep their <tr> while unchanged, so a live update rebuilds one row, not the table. */
  const rowEls = new WeakMap();
  let request = 0;
  let retryTimer = 0;
  let shown = false;
  let rendered = false;

  const rankedAt = el('span', { class: 'muted', testid: 'ranked-at' });
  const count = el('span', { class: 'muted' });
  const notice = el('p', { class: 'notice', testid: 'hot-notice', attrs: { role: 'status' } });
  notice.hidden = true;
  const tbody = el('tbody');
  const loadMore = el('button', { testid: 'load-more', text: t('hot.loadMore'), attrs: { type: 'button' }, on: { click: () => more() } });
  loadMore.hidden = true;

  const columns = ['col.rank', 'col.lead', 'col.company', 'col.tier', 'col.grade', 'col.heat', 'col.role', 'col.owner', 'col.why', 'col.action', 'col.lastSeen'];
  const numeric = new Set(['col.rank', 'col.heat']);
  const table = el(
    'table',
    { class: 'grid hot', testid: 'hot-list' },
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { text: t(c), class: numeric.has(c) ? 'num' : '', attrs: { scope: 'col' } })))),
    tbody,
  );

  const root = el(
    'div',
    { class: 'page', testid: 'hot-page' },
    el('header', { class: 'page-head' }, el('h1', { text: t('hot.title') }), el('div', { class: 'page-meta' }, rankedAt, count)),
    filterBar(),
    notice,
    el('div', { class: 'card flush' }, table),
    el('div', { class: 'list-foot' }, loadMore),
  );

  function filterBar() {
    const select = (key, values, labelOf, titleOf = (_v) => '') => {
      const box = /** @type {HTMLSelectElement} */ (
        el(
          'select',
          { testid: `filter-${key}`, on: { change: () => setFilter(key, box.value, 0) } },
          el('option', { text: t('filter.all'), attrs: { value: 'all' } }),
          values.map((v) => el('option', { text: labelOf(v), title: titleOf(v), attrs: { value: v } })),
        )
      );
      box.value = filters[key] || 'all';
      return field(`filter.${key}`, box);
    };
    const input = (key) => {
      const box = /** @type {HTMLInputElement} */ (el('input', { testid: `filter-${key}`, attrs: { type: 'search', placeholder: t('filter.exact'), spellcheck: 'false' } }));
      box.value = filters[key];
      box.addEventListener('input', () => setFilter(key, box.value, FILTER_TYPING_MS));
      box.addEventListener('change', () => setFilter(key, box.value, 0));
      return field(`filter.${key}`, box);
    };
    const clear = el('button', {
      class: 'link',
      text: t('filter.clear'),
      attrs: { type: 'button' },
      on: {
        click: () => {
          for (const timer of typing.values()) clearTimeout(timer);
          for (const k of Object.keys(filters)) filters[k] = '';
          for (const box of bar.querySelectorAll('select, input')) /** @type {HTMLInputElement} */ (box).value = box.tagName === 'SELECT' ? 'all' : '';
          reload();
        },
      },
    });
    const bar = el(
      'form',
      { class: 'filters card', attrs: { role: 'search', 'aria-label': t('filter.label') }, on: { submit: (e) => e.preventDefault() } },
      select('tier', TIERS, (v) => t(`tier.${v}`)),
      // Role codes as in the table (EB, UB, …), their full names as tooltips.
      select('role', ROLES, (v) => t(`role.${v}`), (v) => t(`role.${v}.title`)),
      select('stage', STAGES, (v) => t(`stage.${v}`)),
      input('owner'),
      input('tag'),
      input('company'),
      clear,
    );
    return bar;
  }

  function field(labelKey, control) {
    return el('label', { class: 'filter' }, el('span', { text: t(labelKey) }), control);
  }

  /** One pending change per filter, so typing in one box never cancels another's. */
  const typing = new Map();
  function setFilter(key, raw, delay) {
    const value = raw === 'all' ? '' : raw.trim();
    clearTimeout(typing.get(key));
    if (filters[key] === value) return;
    typing.set(
      key,
      setTimeout(() => {
        filters[key] = value;
        reload();
      }, delay),
    );
  }

  const query = () => ({ limit: PAGE_SIZE, ...filters });

  /** The first page, again: on open, on a filter change, after a reconnect (messages may have been missed). */
  async function reload() {
    const mine = ++request;
    clearTimeout(retryTimer);
    try {
      const page = await ctx.api.get('/leads/hot', { query: query(), signal });
      if (mine !== request) return;
      list.rows = page.leads;
      list.cursor = page.cursor;
      list.ranking = page.ranking;
      say(null);
      draw();
    } catch (err) {
      if (mine !== request || signal.aborted) return;
      if (err instanceof ApiError && err.status === 503) {
        say(t('hot.notReady'));
        retryTimer = setTimeout(reload, NOT_READY_RETRY_MS);
        return;
      }
      // Before the page shows, the app shows the error (forbidden, failed); after, it shows inline.
      if (!shown) throw err;
      say(t('page.error', { message: err.message }));
    }
  }

  async function more() {
    if (!list.cursor) return;
    const mine = request;
    loadMore.setAttribute('disabled', '');
    try {
      const page = await ctx.api.get('/leads/hot', { query: { ...query(), cursor: list.cursor }, signal });
      if (mine !== request) return;
      // A lead the live feed already placed keeps its newer row.
      const have = new Set(list.rows.map((r) => r.lead));
      list.rows = [...list.rows, ...page.leads.filter((r) => !have.has(r.lead))];
      list.cursor = page.cursor;
      draw();
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 410) {
        await reload();
        say(t('hot.restarted'));
        return;
      }
      say(t('page.error', { message: err.message }));
    } finally {
      loadMore.removeAttribute('disabled');
    }
  }

  function say(text) {
    notice.hidden = text === null;
    notice.textContent = text ?? '';
  }

  /** @param {string | null} [highlight] a lead the live feed just changed */
  function draw(highlight = null) {
    const now = Date.now();
    const trs = list.rows.map((row, i) => {
      let tr = rowEls.get(row);
      if (!tr) rowEls.set(row, (tr = rowOf(row, now)));
      /** @type {HTMLElement} */ (tr.firstElementChild).textContent = fmt.int(i + 1);
      return tr;
    });
    if (trs.length === 0) trs.push(el('tr', {}, el('td', { class: 'empty', testid: 'hot-empty', text: t('hot.empty'), attrs: { colspan: String(columns.length) } })));
    tbody.replaceChildren(...trs);
    rankedAt.textContent = list.ranking ? t('hot.ranked', { time: fmt.time(list.ranking) }) : '';
    if (list.ranking) rankedAt.title = fmt.dateTime(list.ranking);
    count.textContent = t('hot.count', { count: fmt.int(list.rows.length) });
    loadMore.hidden = list.cursor === null;
    if (shown && !rendered) markRendered();
    if (highlight !== null) {
      const tr = list.rows.find((r) => r.lead === highlight);
      const node = tr && rowEls.get(tr);
      if (node) {
        node.classList.add('row-new');
        setTimeout(() => node.classList.remove('row-new'), HIGHLIGHT_MS);
      }
    }
  }

  function rowOf(row, now) {
    const why = whyLine(row.why, fmt.points);
    const action = row.action?.text || (TIERS.includes(row.tier) ? t(`action.${row.tier}`) : t('common.none'));
    const seen = row.lastSeen ?? null;
    return el(
      'tr',
      { testid: 'hot-row', data: { lead: row.lead } },
      el('td', { class: 'num muted' }),
      el('td', { class: 'lead', title: row.lead }, routeLink('lead', row.lead)),
      el('td', { title: row.company ?? '' }, row.company ? routeLink('company', row.company) : t('common.none')),
      el('td', {}, tierChip(ctx, row.tier)),
      el('td', {}, gradeChip(ctx, row.grade)),
      el('td', { class: 'num', text: fmt.heat(row.heat) }),
      el('td', {}, roleChip(ctx, row.role)),
      el('td', { text: row.owner ?? t('common.none'), title: row.owner ?? '' }),
      el('td', { class: 'why', testid: 'why', text: why || t('common.none'), title: why }),
      el('td', { class: 'action', testid: 'action', text: action, title: row.action ? row.action.rule : '' }),
      el('td', { class: 'muted nowrap', text: seen ? fmt.relative(seen, now) : t('common.none'), title: seen ? fmt.dateTime(seen) : '' }),
    );
  }

  function onLead(/** @type {Event} */ event) {
    const m = /** @type {CustomEvent} */ (event).detail;
    if (list.ranking === null || !m || typeof m.lead !== 'string') return;
    list.rows = upsertRow(list.rows, m.lead, m.entry ?? null, filters, list.cursor === null);
    draw(m.entry ? m.lead : null);
  }

  function onOpen(/** @type {Event} */ event) {
    if (/** @type {CustomEvent} */ (event).detail?.reconnected) reload();
  }

  // Relative times ("3 minutes ago") drift; rebuild the rows' cells once a minute.
  const tick = setInterval(() => {
    for (const row of list.rows) rowEls.delete(row);
    if (list.ranking !== null) draw();
  }, 60_000);

  ctx.live.events.addEventListener('lead', onLead);
  ctx.live.events.addEventListener('open', onOpen);
  signal.addEventListener('abort', () => {
    clearInterval(tick);
    clearTimeout(retryTimer);
    for (const timer of typing.values()) clearTimeout(timer);
    ctx.live.events.removeEventListener('lead', onLead);
    ctx.live.events.removeEventListener('open', onOpen);
  });

  await reload();
  shown = ctx.show(root);
  // Not ready yet (503): the retry timer keeps trying, and the first draw marks the page rendered.
  if (shown && list.ranking !== null) markRendered();

  function markRendered() {
    rendered = true;
    performance.mark('leadscore:hot-rendered');
    ctx.ready('hot');
  }
}
