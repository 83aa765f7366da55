import {
  CAREERS,
  CHINA_REFERRALS,
  DEMO_PAGE,
  EMAIL_CAMPAIGNS,
  ENTERPRISE_PRODUCT,
  NEWSLETTER_PAGE,
  PAGES,
  PRICING,
  PRODUCTS,
  REFERRALS,
  SITE,
  TIMELINES,
  TIMELINES_ZH,
  type Referral,
  type SitePage,
} from './catalog.ts';
import { DAY, HOUR, MINUTE, type Person, type Traffic } from './traffic.ts';

/** What a person does over time. Every journey keeps its events inside the window it is given, and before `now`. */

export interface Window {
  from: number;
  to: number;
}

function referral(t: Traffic, p: Person): Referral {
  return t.rng.weighted(p.company?.chinese === true || p.locale === 'zh-CN' ? CHINA_REFERRALS : REFERRALS);
}

function pagesFor(t: Traffic, opts: { pricing: number; careers?: number }): SitePage[] {
  const n = t.rng.weighted([[1, 3], [2, 4], [3, 3], [4, 2], [5, 1]] as const);
  return Array.from({ length: n }, () => {
    if (t.rng.chance(opts.pricing)) return PRICING;
    if (t.rng.chance(opts.careers ?? 0)) return CAREERS;
    return t.rng.weighted(PAGES);
  });
}

/** Visits at random moments in the window, the last one at `w.to` so the person's last activity is known. */
function browse(t: Traffic, p: Person, w: Window, sessions: number, pricing: number): void {
  const starts = Array.from({ length: Math.max(0, sessions - 1) }, () => t.rng.between(w.from, w.to));
  starts.push(w.to);
  for (const start of starts) t.session(p, start, pagesFor(t, { pricing }), referral(t, p));
}

function formFields(t: Traffic, p: Person, formId: 'demo-request' | 'newsletter'): Record<string, unknown> {
  const fields: Record<string, unknown> = { form_id: formId, email: p.email, name: p.name };
  if (p.company !== undefined) fields['company'] = p.company.name;
  if (formId === 'demo-request') {
    fields['title'] = p.title;
    fields['budget'] = p.budget ?? t.rng.pick([20_000, 50_000, 100_000, 150_000]);
    fields['timeline'] = p.company?.chinese === true ? t.rng.pick(TIMELINES_ZH) : t.rng.pick(TIMELINES);
  }
  return fields;
}

/** A form on `page`, then identify (and group, for account members) as the site does right after a submit. */
export function convert(t: Traffic, p: Person, at: number, formId: 'demo-request' | 'newsletter', identify: boolean): void {
  const page = formId === 'demo-request' ? DEMO_PAGE : NEWSLETTER_PAGE;
  t.pageView(p, at, page, SITE + '/');
  const submitted = at + t.rng.between(30_000, 3 * MINUTE);
  t.formSubmitted(p, submitted, page, formFields(t, p, formId));
  if (!identify) return;
  p.identifiedAt = submitted + 800;
  t.identify(p, p.identifiedAt, page);
  t.group(p, p.identifiedAt + 200, page);
}

/**
 * A member of a buying group: known from the start (a CRM import, a trial) or anonymous until a form. `pricing`
 * is the chance each page view is the pricing page.
 */
export function member(t: Traffic, p: Person, w: Window, pricing: number): void {
  const sessions = t.rng.int(2, 6);
  if (t.rng.chance(0.6)) {
    p.identifiedAt = w.from;
    t.identify(p, w.from, t.rng.weighted(PAGES));
    t.group(p, w.from + 300, t.rng.weighted(PAGES));
    browse(t, p, { from: w.from + MINUTE, to: w.to }, sessions, pricing);
  } else {
    const mid = w.from + (w.to - w.from) * t.rng.between(0.2, 0.6);
    browse(t, p, { from: w.from, to: mid - 10 * MINUTE }, Math.max(1, sessions - 2), pricing);
    convert(t, p, mid, t.rng.chance(0.3) ? 'demo-request' : 'newsletter', true);
    browse(t, p, { from: mid + 20 * MINUTE, to: w.to }, 2, pricing);
  }
  emails(t, p, { from: p.identifiedAt + HOUR, to: w.to });
}

/** Campaign emails after the person is known; a click lands on the site with the campaign's UTM. */
function emails(t: Traffic, p: Person, w: Window): void {
  if (w.to <= w.from) return;
  const count = t.rng.int(0, 3);
  for (let i = 0; i < count; i++) {
    const campaign = t.rng.pick(EMAIL_CAMPAIGNS);
    const emailId = `eml_${t.rng.hex(12)}`;
    const props = { email_id: emailId, campaign_id: campaign.id, campaign_name: campaign.name, email_subject: campaign.subject };
    const opened = t.rng.between(w.from, w.to);
    t.email(p, opened, 'Email Opened', props);
    if (!t.rng.chance(0.4)) continue;
    const landing = t.rng.weighted(PAGES);
    const clicked = opened + t.rng.between(10_000, 5 * MINUTE);
    t.email(p, clicked, 'Email Link Clicked', { ...props, link_url: SITE + landing.path, link_id: `lnk_${t.rng.hex(6)}` });
    // The landing view is attributed like analytics.js parses it from the link's query string.
    t.session(p, clicked + t.rng.between(2_000, 20_000), [landing], { referrer: '', campaign: { name: campaign.id, source: 'newsletter', medium: 'email' } });
  }
}

/**
 * Heating up: pricing on the two UTC days before the last visit's day and once more within the last ~6 hours, after
 * browsing that never touches pricing (so the streak is exactly this one).
 */
export function heatingUp(t: Traffic, p: Person, from: number, demo: boolean): void {
  const last = t.now - t.rng.between(20 * MINUTE, 6 * HOUR);
  const lastDay = Math.floor(last / DAY) * DAY;
  p.identifiedAt = from;
  t.identify(p, from, t.rng.weighted(PAGES));
  t.group(p, from + 300, t.rng.weighted(PAGES));
  if (lastDay - 2 * DAY - HOUR > from + MINUTE) browse(t, p, { from: from + MINUTE, to: lastDay - 2 * DAY - HOUR }, t.rng.int(1, 4), 0);
  for (const back of [2, 1]) {
    const start = lastDay - back * DAY + t.rng.between(HOUR, 20 * HOUR);
    t.session(p, start, [t.rng.weighted(PAGES), PRICING, ...(t.rng.chance(0.5) ? [PRICING] : [])], referral(t, p));
  }
  t.session(p, last, [PRICING], { referrer: '' });
  if (demo) {
    const at = last + t.rng.between(MINUTE, 4 * MINUTE);
    t.pageView(p, at, DEMO_PAGE, SITE + PRICING.path);
    t.formSubmitted(p, at + t.rng.between(30_000, 2 * MINUTE), DEMO_PAGE, formFields(t, p, 'demo-request'));
  }
}

/** Cooling down: a newsletter signup 35–45 days ago and nothing since. */
export function coolingDown(t: Traffic, p: Person, identify: boolean): void {
  const signup = t.now - t.rng.between(35, 45) * DAY;
  t.session(p, signup - t.rng.between(5 * MINUTE, 40 * MINUTE), pagesFor(t, { pricing: 0 }), referral(t, p));
  convert(t, p, signup, 'newsletter', identify);
}

/** A visitor who never says who they are: students, competitors' staff, job seekers. */
export function anonymousVisitor(t: Traffic, p: Person, w: Window): void {
  const sessions = t.rng.int(1, 3);
  for (let i = 0; i < sessions; i++) {
    t.session(p, t.rng.between(w.from, w.to), pagesFor(t, { pricing: 0.1, careers: 0.15 }), referral(t, p));
  }
}

/**
 * Orders from the billing system, after the buyer is known, in CNY at 7 to the USD for Chinese companies. One order of
 * an enterprise plan is worth over 100,000 USD when `big`; otherwise every order stays below 50,000 in its own
 * currency, so the big-customer tag (100,000 in the reporting currency, with a CNY rate near 1/7) is exact.
 */
export function purchases(t: Traffic, p: Person, w: Window, big: boolean): void {
  const cny = p.company?.chinese === true;
  const currency = cny ? 'CNY' : 'USD';
  const rate = cny ? 7 : 1;
  const count = t.rng.chance(0.4) ? t.rng.int(2, 3) : 1;
  const bigIndex = big ? t.rng.int(0, count - 1) : -1;
  const from = Math.max(w.from, p.identifiedAt + HOUR);
  if (from >= w.to) return;
  const times = Array.from({ length: count }, () => t.rng.between(from, w.to)).sort((a, b) => a - b);
  times.forEach((at, i) => {
    let products: Record<string, unknown>[];
    if (i === bigIndex) {
      // At least 101,000 USD: ≥ 100,000 in the reporting currency at any CNY rate from 1/7.07 up.
      const price = t.rng.int(101, 400) * 1000 * rate;
      products = [{ ...ENTERPRISE_PRODUCT, price, quantity: 1 }];
    } else {
      // Two of these stay far below 100000 in either currency.
      const affordable = PRODUCTS.filter((x) => x.usd * rate < 50_000);
      const picks = new Set(Array.from({ length: t.rng.int(1, 2) }, () => t.rng.pick(affordable)));
      products = [...picks].map(({ usd, ...rest }) => ({ ...rest, price: usd * rate, quantity: 1 }));
    }
    const revenue = products.reduce((s, x) => s + (x['price'] as number) * (x['quantity'] as number), 0);
    t.order(p, at, { order_id: `ord_${t.rng.hex(10)}`, revenue, currency, products });
  });
}
