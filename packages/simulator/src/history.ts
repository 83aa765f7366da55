import { PAGES, PRICING, PRODUCTS } from './catalog.ts';
import { makeCompanies, People } from './population.ts';
import { createRng } from './random.ts';
import { DAY, HOUR, Traffic, type Person } from './traffic.ts';
import type { SegmentMessage } from './types.ts';

/** The lifecycle stages a customer of the billing history is built to be in (packages/analytics' defaults). */
export type HistoryStage = 'new' | 'active' | 'dormant' | 'churned';

export interface BillingHistory {
  /** In timestamp order. Old: send them through /v1/import. */
  messages: SegmentMessage[];
  expected: {
    /** `u:<userId>` → the lifecycle stage a rollup as of `now` must give. */
    stages: Record<string, HistoryStage>;
  };
}

/**
 * Each kind of customer, with the days before `now` of its orders (first, last) and of any later activity. Every range
 * keeps days of margin from the rollups' default thresholds (new within 90 days, active within 180, dormant within 365
 * or activity within 90), so the expected stage holds in any time zone.
 */
const KINDS = [
  { stage: 'new', first: [10, 60], last: [3, 10], orders: [1, 2] },
  { stage: 'active', first: [150, 600], last: [5, 150], orders: [3, 6] },
  { stage: 'dormant', first: [330, 700], last: [200, 330], orders: [1, 4] },
  { stage: 'dormant', first: [420, 700], last: [420, 600], orders: [1, 3], returnsWithin: [5, 60] },
  { stage: 'churned', first: [380, 700], last: [380, 600], orders: [1, 3] },
] as const;

/**
 * Customers the billing system has known for up to two years — repeat buyers, new ones, lapsed ones, one coming back
 * to the site, churned ones — in companies of two or three, so the analysts' rollups meet every lifecycle stage and a
 * spread of recency, frequency and money. Seeded apart from `simulate`, whose market it leaves as it is; every order
 * stays below 100,000 in its own currency, so the live big-customer tag is unchanged.
 */
export function billingHistory({ seed, now, customers = 20 }: { seed: number | string; now: Date | string | number; customers?: number }): BillingHistory {
  const nowMs = typeof now === 'number' ? now : new Date(now).getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError(`now is not a valid date: ${String(now)}`);
  const rng = createRng(`${String(seed)}/billing-history`);
  const traffic = new Traffic(rng, nowMs);
  const people = new People(rng);
  const companies = makeCompanies(rng, Math.max(1, Math.ceil(customers / 2.5)));
  const pages = PAGES.map(([page]) => page).filter((p) => p.path !== PRICING.path);
  const affordable = PRODUCTS.filter((x) => x.usd * 7 < 50_000);
  const stages: Record<string, HistoryStage> = {};
  const daysAgo = ([from, to]: readonly [number, number]) => nowMs - rng.between(from, to) * DAY;

  for (let i = 0; i < customers; i++) {
    const kind = KINDS[i % KINDS.length] as (typeof KINDS)[number];
    const company = companies[i % companies.length];
    const person: Person = people.make({ ...(company ? { company, domain: company.domain, chinese: company.chinese } : { domain: 'mail.example', chinese: false }), role: rng.chance(0.6) ? 'EB' : 'UB', userId: true });
    const last = daysAgo(kind.last);
    const first = Math.min(daysAgo(kind.first), last);
    const count = rng.int(kind.orders[0], kind.orders[1]);
    // One order is the last; more span first … last.
    const times = count === 1 ? [last] : [first, ...Array.from({ length: count - 2 }, () => rng.between(first, last)), last].sort((a, b) => a - b);
    person.identifiedAt = (times[0] as number) - HOUR;
    traffic.identify(person, person.identifiedAt, rng.pick(pages));
    traffic.group(person, person.identifiedAt + 200, rng.pick(pages));
    const rate = company?.chinese ? 7 : 1;
    for (const at of times) {
      const products = [...new Set(Array.from({ length: rng.int(1, 2) }, () => rng.pick(affordable)))].map(({ usd, ...rest }) => ({ ...rest, price: usd * rate, quantity: 1 }));
      const revenue = products.reduce((s, x) => s + x.price, 0);
      traffic.order(person, at, { order_id: `ord_${rng.hex(10)}`, revenue, currency: rate === 7 ? 'CNY' : 'USD', products });
    }
    if ('returnsWithin' in kind) traffic.pageView(person, daysAgo(kind.returnsWithin), rng.pick(pages), 'https://www.google.com/');
    stages[`u:${person.userId}`] = kind.stage;
  }
  return { messages: traffic.messages(), expected: { stages } };
}
