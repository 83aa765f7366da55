/**
 * Hash routes to pages, and the scope each page needs. Pages are loaded on first visit, so opening the hot list never
 * downloads the chart pages' code.
 */

/**
 * @typedef {{
 *   lang: string,
 *   t: (key: string, params?: Record<string, string | number>) => string,
 *   fmt: ReturnType<typeof import('./format.js').formatFor>,
 *   api: ReturnType<typeof import('./api.js').createApi>,
 *   live: ReturnType<typeof import('./live.js').createLiveFeed>,
 *   me: { name: string, scopes: string[] },
 *   params: string[],
 *   signal: AbortSignal,
 *   show: (root: HTMLElement) => boolean,
 *   ready: (name: string) => void,
 * }} PageContext
 * A page builds its root, hands it to `show` (false when the user has already moved on), and calls `ready` once
 * drawn. Everything it starts (timers, listeners, charts) ends when `signal` aborts.
 */

/** @type {Record<string, { scope: string, load: () => Promise<{ render: (ctx: PageContext) => Promise<void> }> }>} */
export const PAGES = {
  hot: { scope: 'leads:read', load: () => import('./pages/hot.js') },
  lead: { scope: 'leads:read', load: () => import('./pages/lead.js') },
  company: { scope: 'leads:read', load: () => import('./pages/company.js') },
  analyst: { scope: 'analytics:read', load: () => import('./pages/analyst.js') },
};

/** `#/lead/u%3Aann` → { name: 'lead', params: ['u:ann'] }; anything unknown → name 'unknown'. */
export function parseRoute(hash) {
  const path = hash.replace(/^#\/?/, '');
  if (path === '' || path === 'hot') return { name: 'hot', params: [] };
  if (path === 'analyst') return { name: 'analyst', params: [] };
  const m = /^(lead|company)\/([^/]+)$/.exec(path);
  if (m) {
    try {
      return { name: m[1], params: [decodeURIComponent(m[2])] };
    } catch {
      // A malformed escape is no route.
    }
  }
  return { name: 'unknown', params: [] };
}

/** Whether the signed-in token may open a page (`admin` holds every scope, as on the server). */
export function allows(me, scope) {
  return me.scopes.includes('admin') || me.scopes.includes(scope);
}
