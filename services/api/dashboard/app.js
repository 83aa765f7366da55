import { ApiError, createApi } from './api.js';
import { el } from './dom.js';
import { formatFor } from './format.js';
import { LANGS, pickLang, t as translate } from './i18n.js';
import { createLiveFeed } from './live.js';
import { loginView } from './pages/login.js';
import { allows, PAGES, parseRoute } from './router.js';
import { langStore, tokenStore } from './session.js';
import { createToasts } from './toast.js';

/**
 * The shell: who is signed in, the language, the live feed and which page shows. Pages know nothing of each other;
 * each gets a context (router.js) and an AbortSignal that ends it when the user moves on.
 */

const $ = (/** @type {string} */ selector) => /** @type {HTMLElement} */ (document.querySelector(selector));
const view = $('#view');
const shell = {
  nav: $('#nav'),
  whoami: $('[data-testid=whoami]'),
  logout: $('[data-testid=logout]'),
  lang: /** @type {HTMLSelectElement} */ ($('[data-testid=lang]')),
  live: $('[data-testid=live-status]'),
};

const state = {
  lang: pickLang(langStore.read(), navigator.language),
  /** @type {{ name: string, scopes: string[] } | null} */
  me: null,
  /** @type {AbortController | null} the page on screen */
  page: null,
  /** @type {string | null} why the login form shows, kept across a language switch */
  loginNotice: null,
};

const t = (key, params) => translate(state.lang, key, params);
const toasts = createToasts($('#toasts'));
const api = createApi({ token: tokenStore.read, onUnauthorized: () => signOut('login.expired') });
const live = createLiveFeed({ stream: api.stream, onUnauthorized: () => signOut('login.expired') });

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = t('app.title');
  shell.lang.value = state.lang;
  shell.lang.setAttribute('aria-label', t('lang.label'));
  shell.nav.setAttribute('aria-label', t('nav.label'));
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(/** @type {HTMLElement} */ (node).dataset.i18n ?? '');
  shell.logout.textContent = t('auth.logout');
  if (state.me) shell.whoami.title = t('auth.signedInAs', { name: state.me.name });
  showLiveState(live.state);
}

function showLiveState(liveState) {
  shell.live.dataset.state = liveState;
  shell.live.title = t(`live.${liveState}`);
  shell.live.setAttribute('aria-label', t(`live.${liveState}`));
}

function leavePage() {
  state.page?.abort();
  state.page = null;
  delete document.body.dataset.ready;
}

function showLogin() {
  leavePage();
  const typed = /** @type {HTMLInputElement | null} */ (document.getElementById('token'))?.value ?? '';
  view.replaceChildren(
    loginView({
      t,
      notice: state.loginNotice ? t(state.loginNotice) : null,
      token: typed,
      async check(token, remember) {
        const me = await api.whoami(token);
        tokenStore.save(token, remember);
        signedIn(me);
      },
    }),
  );
}

function signedIn(me) {
  state.me = { name: String(me.name), scopes: Array.isArray(me.scopes) ? me.scopes.map(String) : [] };
  state.loginNotice = null;
  shell.whoami.textContent = state.me.name;
  shell.whoami.title = t('auth.signedInAs', { name: state.me.name });
  for (const node of [shell.nav, shell.whoami, shell.logout, shell.live]) node.hidden = false;
  route();
  // After the page's first request is on its way: the list matters more than the feed's first second.
  live.start();
}

/** @param {string | null} notice the message key to show above the login form */
function signOut(notice) {
  if (!state.me && notice) return; // a burst of 401s from parallel calls signs out once
  tokenStore.clear();
  state.me = null;
  state.loginNotice = notice;
  live.stop();
  toasts.clear();
  shell.whoami.textContent = '';
  for (const node of [shell.nav, shell.whoami, shell.logout, shell.live]) node.hidden = true;
  showLogin();
}

/** Renders the page the hash names, replacing the one on screen. */
async function route() {
  if (!state.me) return showLogin();
  leavePage();
  const controller = (state.page = new AbortController());
  const { name, params } = parseRoute(location.hash);
  for (const link of shell.nav.querySelectorAll('a')) link.classList.toggle('active', link.dataset.route === name);
  const page = PAGES[name];
  if (!page) return showMessage(controller, 'page-missing', t('page.noRoute'));
  if (!allows(state.me, page.scope)) return showForbidden(controller, page.scope);
  view.replaceChildren(el('p', { class: 'loading', testid: 'loading', text: t('page.loading') }));

  /** @type {import('./router.js').PageContext} */
  const ctx = {
    lang: state.lang,
    t,
    fmt: formatFor(state.lang),
    api,
    live,
    me: state.me,
    params,
    signal: controller.signal,
    show(root) {
      if (controller.signal.aborted) return false;
      view.replaceChildren(root);
      return true;
    },
    ready(pageName) {
      if (!controller.signal.aborted) document.body.dataset.ready = pageName;
    },
  };
  try {
    await (await page.load()).render(ctx);
  } catch (err) {
    if (controller.signal.aborted) return;
    const status = err instanceof ApiError ? err.status : 0;
    if (status === 401) return; // signOut has shown the login form
    if (status === 403) return showForbidden(controller, page.scope);
    if (status === 404) return showMessage(controller, 'not-found', t('page.notFound', { what: params[0] ?? location.hash }));
    console.error(err);
    showMessage(controller, 'page-error', t('page.error', { message: err instanceof Error ? err.message : String(err) }), true);
  }
}

function showForbidden(controller, scope) {
  showMessage(controller, 'forbidden', t('page.forbidden', { scope }));
}

function showMessage(controller, testid, text, retry = false) {
  if (controller.signal.aborted) return;
  const button = retry ? el('button', { text: t('page.retry'), attrs: { type: 'button' }, on: { click: () => route() } }) : null;
  view.replaceChildren(el('div', { class: `card message ${testid}`, testid }, el('p', { text }), button));
  document.body.dataset.ready = testid;
}

/** A toast for the changes a salesperson acts on: an alert fired, or a lead turned hot. */
function onLiveLead(/** @type {CustomEvent} */ event) {
  const m = event.detail;
  if (!m || typeof m.lead !== 'string') return;
  let text = null;
  if (m.kind === 'alert') text = t('toast.alert', { lead: m.lead, action: m.action ?? m.rule ?? '' });
  else if (m.kind === 'tier' && m.to === 'hot') text = t('toast.hot', { lead: m.lead });
  if (text) toasts.show([el('a', { href: `#/lead/${encodeURIComponent(m.lead)}`, text })], t('toast.dismiss'));
}

function boot() {
  for (const lang of LANGS) shell.lang.append(el('option', { text: translate(lang, `lang.${lang}`), attrs: { value: lang } }));
  applyLanguage();
  shell.lang.addEventListener('change', () => {
    state.lang = /** @type {any} */ (pickLang(shell.lang.value, undefined));
    langStore.save(state.lang);
    applyLanguage();
    if (state.me) route();
    else showLogin();
  });
  shell.logout.addEventListener('click', () => signOut(null));
  live.events.addEventListener('status', (e) => showLiveState(/** @type {CustomEvent} */ (e).detail));
  live.events.addEventListener('lead', onLiveLead);
  window.addEventListener('hashchange', () => route());
  // The stream must not outlive the page (nor keep it out of the back-forward cache).
  window.addEventListener('pagehide', () => live.stop());
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && state.me) live.start();
  });

  const token = tokenStore.read();
  if (!token) return showLogin();
  view.replaceChildren(el('p', { class: 'loading', text: t('page.loading') }));
  // Fetch and evaluate the page's code while /whoami is in flight; the module loader keeps it for route().
  PAGES[parseRoute(location.hash).name]?.load().catch(() => {});
  api.whoami(token).then(signedIn, (err) => {
    if (err instanceof ApiError && err.status === 401) tokenStore.clear();
    showLogin();
  });
}

boot();
