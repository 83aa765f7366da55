/**
 * The first-party browser tracker, served minified as /t.js (TRACKER.md has the snippet and what it captures). The
 * collector bundles it with esbuild at startup; the rules that need no browser live in src/routes/tracker-fields.ts,
 * where they are unit-tested. Failure in here must never break the host page: every entry point is guarded.
 *
 * Arrow functions throughout, not declarations: esbuild keeps `function` and `return`, and every byte is downloaded
 * by every visitor. None is called before the end of start(), so their order does not matter.
 */
import { EMAIL_TOKEN_PARAM } from '@leadscore/events/email-token-format';
import { campaignFromSearch, captureForm, clip, retryDelayMs, TRACKER_VERSION, uuidFromBytes } from '../src/routes/tracker-fields.ts';

const YEAR_SECONDS = 31536000;
const FLUSH_MS = 1000;
const FLUSH_AT = 20;
/** Messages held while the collector cannot take them; the oldest go first beyond this. */
const MAX_QUEUE = 200;
const MAX_ATTEMPTS = 8;
/** Browsers refuse a beacon or keepalive fetch over 64 KB (all in flight together). */
const MAX_BODY = 60000;
const COOKIE = /(?:^|;\s*)ls_aid=([\w-]{8,100})/;

const w = window;
const d = document;
const nav = navigator;
const now = () => new Date().toISOString();

const start = () => {
  const stub = w.leadscore;
  // The snippet loads t.js from the collector, so the script's own origin is the default host.
  const scriptOrigin = d.currentScript?.src ? new URL(d.currentScript.src).origin : '';
  let options;
  let endpoint;
  let anonymousId;
  let userId;
  /** Items are { m: message, n: attempts so far }. */
  let queue = [];
  let timer = 0;
  let retryAt = 0;
  let failures = 0;
  /** The page view asked for while consent was withheld, sent if the page grants consent later. */
  let heldPage;
  const beforeInit = [];

  const granted = (c = w.leadscoreConsent) => c === true || (c !== false && nav.globalPrivacyControl !== true);

  const setCookie = (value, maxAge) =>
    (d.cookie = `ls_aid=${value}; Max-Age=${maxAge}; Path=/; SameSite=Lax${options?.cookieDomain ? '; Domain=' + options.cookieDomain : ''}${location.protocol === 'https:' ? '; Secure' : ''}`);

  const uuid = () => crypto.randomUUID?.() ?? uuidFromBytes(crypto.getRandomValues(new Uint8Array(16)));

  const visitorId = () => {
    if (!anonymousId) {
      anonymousId = COOKIE.exec(d.cookie)?.[1] ?? uuid();
      // Rewritten on every page load, so the year counts from the last visit. Without cookies the id lasts the page.
      setCookie(anonymousId, YEAR_SECONDS);
    }
    return anonymousId;
  };

  const pageInfo = (l = location) => ({
    // Without the fragment: single-page sign-ins put tokens there.
    url: clip(l.href.split('#')[0], 4096),
    path: clip(l.pathname, 4096),
    referrer: clip(d.referrer, 4096),
    title: clip(d.title, 1000),
    search: clip(l.search, 4096),
  });

  const enqueue = (type, fields, extra) => {
    if (!options || !granted()) return;
    const context = {
      ...extra,
      page: pageInfo(),
      userAgent: clip(nav.userAgent, 2048),
      library: { name: 'leadscore-tracker', version: TRACKER_VERSION },
      locale: nav.language,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      campaign: campaignFromSearch(location.search),
    };
    // Undefined fields (userId, campaign, a page's name) vanish in JSON.
    queue.push({ m: { type, messageId: uuid(), anonymousId: visitorId(), userId, timestamp: now(), context, ...fields }, n: 0 });
    if (queue.length > MAX_QUEUE) queue.shift();
    queue[FLUSH_AT - 1] ? flush() : schedule(FLUSH_MS);
  };

  const schedule = (ms) => (timer ||= setTimeout(() => ((timer = 0), flush()), ms));

  /** The next batch: at most FLUSH_AT messages, and small enough for a beacon. */
  const take = (items = [], size = 0) => {
    while (queue[0] && items.length < FLUSH_AT) {
      size += JSON.stringify(queue[0].m).length;
      if (items[0] && size > MAX_BODY) break;
      items.push(queue.shift());
    }
    return items;
  };

  /**
   * `urgent` when the page may be going away (form submit, pagehide, hidden): a beacon outlives the page, but its
   * answer cannot be read. Otherwise a fetch, whose 503 + Retry-After can be honoured; keepalive lets it finish if
   * the visitor navigates meanwhile.
   */
  const flush = (urgent) => {
    if (!granted()) return (queue = []);
    if (!urgent && Date.now() < retryAt) return schedule(retryAt - Date.now());
    clearTimeout(timer);
    timer = 0;
    while (queue[0]) {
      const items = take();
      // sentAt per send: the collector corrects the clock of a retried batch by how late it really is.
      const body = JSON.stringify({ batch: items.map((i) => i.m), sentAt: now(), writeKey: options.writeKey });
      // text/plain keeps the cross-origin request simple: no preflight.
      if (!(urgent && nav.sendBeacon?.(endpoint, new Blob([body], { type: 'text/plain' })))) post(items, body);
    }
  };

  const post = (items, body) =>
    fetch(endpoint, { method: 'POST', body, keepalive: true }).then(
      (response) => {
        if (response.ok) failures = 0;
        // Other 4xx answers would repeat on every retry (bad key, bad batch): those messages are dropped.
        else if (response.status === 429 || response.status >= 500) retry(items, response.headers.get('Retry-After'));
      },
      () => retry(items),
    );

  const retry = (items, retryAfter) => {
    if (!granted()) return;
    retryAt = Date.now() + retryDelayMs(++failures, retryAfter, Math.random());
    queue = items.filter((i) => ++i.n < MAX_ATTEMPTS).concat(queue).slice(-MAX_QUEUE);
    schedule(retryAt - Date.now());
  };

  const page = (name, properties) => {
    if (typeof name === 'object') [name, properties] = [undefined, name];
    if (!granted()) return (heldPage = [name, properties]);
    enqueue('page', { name: name && String(name), properties: { ...pageInfo(), ...properties } });
  };

  const track = (event, properties) => event && enqueue('track', { event: String(event), properties: { ...properties } });

  const identify = (id, traits) => {
    if (typeof id === 'object') [id, traits] = [undefined, id];
    if (id != null && granted()) userId = String(id);
    enqueue('identify', { traits: { ...traits } });
  };

  const consent = (given) => {
    const before = granted();
    w.leadscoreConsent = !!given;
    if (!given) {
      // Withdrawn: what waits is dropped and the visitor is forgotten.
      queue = [];
      anonymousId = userId = undefined;
      if (COOKIE.test(d.cookie)) setCookie('', 0);
    } else if (!before && heldPage && options) {
      page(...heldPage);
      heldPage = undefined;
    }
  };

  /**
   * A signed email click lands here with ?ls_ev=…, proof that this visitor reads the address it names: one identify
   * carries it, and the pipeline reads the address from it and trusts the claim (a typed address stays provisional).
   * Then it leaves the address bar, so neither the page view nor a link the visitor shares carries it.
   */
  const confirmEmail = () => {
    const url = new URL(location.href);
    const emailToken = url.searchParams.get(EMAIL_TOKEN_PARAM);
    if (!emailToken) return;
    enqueue('identify', {}, { emailToken });
    url.searchParams.delete(EMAIL_TOKEN_PARAM);
    history.replaceState(history.state, '', url);
  };

  const onSubmit = ({ target: form }) => {
    const formId = form.getAttribute?.('data-leadscore-form');
    if (formId == null || !options || !granted()) return;
    const fields = Array.from(form.elements, (el) => ({
      name: !el.disabled && el.name,
      type: el.type,
      autocomplete: el.getAttribute('autocomplete'),
      value: el.type === 'select-multiple' ? Array.from(el.selectedOptions, (o) => o.value) : String(el.value ?? ''),
      checked: el.checked,
      ignore: el.hasAttribute('data-leadscore-ignore'),
    }));
    const { properties, traits } = captureForm(formId || form.id || 'form', fields);
    // identify first: the form event is then already attributed when the pipeline stitches by email.
    if (traits) enqueue('identify', { traits });
    enqueue('track', { event: 'Form Submitted', properties });
    flush(true);
  };

  const guard =
    (fn) =>
    (...args) => {
      try {
        fn(...args);
      } catch (err) {
        console.warn('leadscore', err);
      }
    };

  const on = (target, type, fn, capture) => target.addEventListener(type, guard(fn), capture);

  const init = (o) => {
    if (options || !o?.writeKey) return;
    options = o;
    endpoint = String(o.host || scriptOrigin).replace(/\/+$/, '') + '/v1/batch';
    // Capture phase: the page's own submit handler may stop the event or navigate away before it bubbles.
    on(d, 'submit', onSubmit, true);
    on(w, 'pagehide', () => flush(true));
    on(d, 'visibilitychange', () => d.visibilityState === 'hidden' && flush(true));
    beforeInit.splice(0).forEach(call);
    confirmEmail();
    if (o.page !== false) page();
  };

  const commands = { init, page, track, identify, consent };

  // Calls made before init wait for it (bounded), so the order of the snippet's calls does not matter.
  const call = ([name, ...args]) =>
    !options && name !== 'init' && name !== 'consent' ? beforeInit.length < 100 && beforeInit.push([name, ...args]) : commands[name]?.(...args);

  const leadscore = guard((...args) => call(args));
  leadscore.loaded = true;
  w.leadscore = leadscore;
  for (const args of stub?.q || []) leadscore(...args);
};

if (!w.leadscore?.loaded) start();
