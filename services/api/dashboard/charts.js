/**
 * ECharts, loaded only by the pages that draw (the library is about a megabyte; the hot list must not wait for it),
 * and charts tied to the page's lifetime: disposed, with their resize observer, when the page is left.
 */

const ECHARTS_SRC = '/dashboard/vendor/echarts.min.js';

/** @type {Promise<any> | null} */
let loading = null;

/** window.echarts, inserting its <script> once; a failed load may be tried again by the next page. */
export function loadECharts() {
  if (/** @type {any} */ (window).echarts) return Promise.resolve(/** @type {any} */ (window).echarts);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = ECHARTS_SRC;
    script.async = true;
    script.onload = () => resolve(/** @type {any} */ (window).echarts);
    script.onerror = () => {
      loading = null;
      script.remove();
      reject(new Error('could not load the chart library'));
    };
    document.head.append(script);
  });
  return loading;
}

/**
 * Draws `option` into `container` and marks it `data-rendered="1"` once ECharts has painted the first frame.
 * Resolves when painted; rejects when the library cannot be loaded.
 * @param {HTMLElement} container in the document, with a size
 * @param {object} option
 * @param {{ lang: string, signal: AbortSignal }} page
 */
export async function drawChart(container, option, page) {
  const echarts = await loadECharts();
  if (page.signal.aborted) return;
  const chart = echarts.init(container, null, { locale: page.lang.startsWith('zh') ? 'ZH' : 'EN' });
  const painted = new Promise((resolve) => {
    const done = () => {
      chart.off('rendered', done);
      container.dataset.rendered = '1';
      resolve(undefined);
    };
    chart.on('rendered', done);
  });
  chart.setOption(option);
  const resize = new ResizeObserver(() => chart.resize());
  resize.observe(container);
  page.signal.addEventListener(
    'abort',
    () => {
      resize.disconnect();
      chart.dispose();
    },
    { once: true },
  );
  // A tab in the background paints no frames; the page is ready without waiting for it.
  await Promise.race([painted, new Promise((resolve) => setTimeout(resolve, 2_000))]);
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For ECharts tooltip formatters, which return HTML: every data string goes through this. */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Shared look: calm colours matching style.css, room for axis labels. */
export const palette = {
  heat: '#c2410c',
  accent: '#2563eb',
  grid: { left: 48, right: 20, top: 28, bottom: 36 },
  stages: { prospect: '#64748b', new: '#3b82f6', active: '#16a34a', dormant: '#d97706', churned: '#dc2626' },
};
