import { describe, expect, it } from 'vitest';
import { deliveryOrder, simulate, type SegmentMessage } from '../src/index.ts';

const NOW = '2026-11-25T10:30:00.000Z';
const nowMs = Date.parse(NOW);
const DAY = 86_400_000;
const run = simulate({ seed: 42, now: NOW });

/** The lead each message counts for, as identity resolution would merge them: identify links anonymous browsing. */
function leadKeys(messages: readonly SegmentMessage[]): (m: SegmentMessage) => string {
  const byAnon = new Map<string, string>();
  for (const m of messages) {
    if (m.type === 'identify' && m.userId !== undefined && m.anonymousId !== undefined) byAnon.set(m.anonymousId, `u:${m.userId}`);
  }
  for (const m of messages) {
    const email = m.type === 'track' && m.event === 'Form Submitted' ? m.properties['email'] : undefined;
    if (m.anonymousId !== undefined && typeof email === 'string' && !byAnon.has(m.anonymousId)) byAnon.set(m.anonymousId, `e:${email}`);
  }
  return (m) => (m.userId !== undefined ? `u:${m.userId}` : (byAnon.get(m.anonymousId ?? '') ?? `a:${m.anonymousId}`));
}

function pricingDays(messages: readonly SegmentMessage[], offsetMs = 0): Map<string, Set<number>> {
  const key = leadKeys(messages);
  const days = new Map<string, Set<number>>();
  for (const m of messages) {
    if (m.type !== 'page' || m.context.page?.path !== '/pricing') continue;
    const set = days.get(key(m)) ?? new Set<number>();
    set.add(Math.floor((Date.parse(m.timestamp) + offsetMs) / DAY));
    days.set(key(m), set);
  }
  return days;
}

describe('simulate', () => {
  it('is reproducible from the seed', () => {
    expect(simulate({ seed: 42, now: NOW })).toEqual(run);
    expect(simulate({ seed: 'abc', now: new Date(NOW), companies: 5 })).toEqual(simulate({ seed: 'abc', now: nowMs, companies: 5 }));
  });

  it('differs between seeds', () => {
    const other = simulate({ seed: 43, now: NOW });
    expect(other.messages.map((m) => m.messageId)).not.toEqual(run.messages.map((m) => m.messageId));
    expect(other.expected).not.toEqual(run.expected);
  });

  it('gives every message the identity and fields the collector requires', () => {
    const required: Record<string, string[]> = {
      'Email Opened': ['email_id'],
      'Email Link Clicked': ['email_id'],
      'Form Submitted': ['form_id'],
      'Order Completed': ['order_id', 'revenue'],
    };
    const ids = new Set<string>();
    for (const m of run.messages) {
      expect(m.userId ?? m.anonymousId).toBeTruthy();
      expect(m.messageId.length).toBeGreaterThan(0);
      expect(m.messageId.length).toBeLessThanOrEqual(100);
      ids.add(m.messageId);
      expect(m.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(m.timestamp)).toBeLessThanOrEqual(nowMs);
      if (m.context.ip !== undefined) expect(m.context.ip).toMatch(/^(198\.51\.100|203\.0\.113)\.\d{1,3}$/);
      if (m.type === 'page') {
        expect(m.context.page?.url).toMatch(/^https:\/\//);
        expect(m.context.page?.path).toMatch(/^\//);
        expect(m.context.userAgent).toMatch(/^Mozilla\/5\.0/);
      }
      if (m.type === 'group') expect(Object.keys(m.traits)).toEqual(expect.arrayContaining(['industry', 'employees', 'region', 'owner']));
      if (m.type === 'track') {
        for (const prop of required[m.event] ?? []) expect(m.properties[prop], `${m.event}.${prop}`).toBeDefined();
        if (m.event === 'Order Completed') expect(['USD', 'CNY']).toContain(m.properties['currency']);
      }
    }
    expect(ids.size).toBe(run.messages.length);
    const events = new Set(run.messages.flatMap((m) => (m.type === 'track' ? [m.event] : [])));
    expect([...events].sort()).toEqual(['Email Link Clicked', 'Email Opened', 'Form Submitted', 'Order Completed']);
    expect(new Set(run.messages.map((m) => m.type))).toEqual(new Set(['page', 'track', 'identify', 'group']));
  });

  it('keeps messages in time order within the past weeks', () => {
    const times = run.messages.map((m) => Date.parse(m.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Only the cold leads reach further back than the simulated weeks.
    expect(Math.min(...times)).toBeGreaterThanOrEqual(nowMs - 46 * DAY);
  });

  it('makes exactly the expected leads hot by a pricing streak ending today or yesterday', () => {
    const today = Math.floor(nowMs / DAY);
    const streak = (days: Set<number>) => [today, today - 1].some((d) => days.has(d) && days.has(d - 1) && days.has(d - 2));
    const actual = [...pricingDays(run.messages)].filter(([, days]) => streak(days)).map(([lead]) => lead);
    expect(run.expected.hot.length).toBeGreaterThan(0);
    expect(actual.sort()).toEqual([...run.expected.hot].sort());
  });

  it('gives no other lead 3 consecutive pricing days in any time zone', () => {
    const hot = new Set(run.expected.hot);
    for (const offsetHours of [-10, -5, 0, 1, 8, 13]) {
      for (const [lead, days] of pricingDays(run.messages, offsetHours * 3_600_000)) {
        if (hot.has(lead)) continue;
        for (const d of days) expect(days.has(d + 1) && days.has(d + 2), `${lead} at UTC${offsetHours}`).toBe(false);
      }
    }
  });

  it('leaves cold leads quiet for 30 days after an email 35–45 days ago', () => {
    const key = leadKeys(run.messages);
    expect(run.expected.cold.length).toBeGreaterThan(0);
    for (const lead of run.expected.cold) {
      const own = run.messages.filter((m) => key(m) === lead);
      const forms = own.filter((m) => m.type === 'track' && m.event === 'Form Submitted' && typeof m.properties['email'] === 'string');
      expect(forms.length, lead).toBeGreaterThan(0);
      for (const m of own) expect(Date.parse(m.timestamp), lead).toBeLessThan(nowMs - 30 * DAY);
    }
    // And every other identified lead was active within 30 days, so the quiet set is exact.
    const last = new Map<string, number>();
    for (const m of run.messages) last.set(key(m), Math.max(last.get(key(m)) ?? 0, Date.parse(m.timestamp)));
    const quiet = [...last].filter(([lead, at]) => !lead.startsWith('a:') && at < nowMs - 30 * DAY).map(([lead]) => lead);
    expect(quiet.sort()).toEqual([...run.expected.cold].sort());
  });

  it('names the big customers exactly', () => {
    const big = new Set<string>();
    for (const m of run.messages) {
      const usd = (m.type === 'track' ? (m.properties['revenue'] as number) : 0) / (m.type === 'track' && m.properties['currency'] === 'CNY' ? 7 : 1);
      if (m.type === 'track' && m.event === 'Order Completed' && usd >= 100_000) big.add(`u:${m.userId}`);
    }
    expect(run.expected.bigCustomers.length).toBeGreaterThan(0);
    expect([...big].sort()).toEqual([...run.expected.bigCustomers].sort());
  });

  it('has repeat buyers, Chinese companies and CNY orders', () => {
    const orders = new Map<string, number>();
    for (const m of run.messages) if (m.type === 'track' && m.event === 'Order Completed') orders.set(m.userId ?? '', (orders.get(m.userId ?? '') ?? 0) + 1);
    expect([...orders.values()].some((n) => n > 1)).toBe(true);
    const groups = run.messages.filter((m) => m.type === 'group');
    expect(groups.some((m) => /[\u4e00-\u9fff]/.test(String(m.traits['name'])))).toBe(true);
    expect(new Set(groups.map((m) => m.traits['industry'])).size).toBe(5);
  });

  it('scales with the number of companies', () => {
    const small = simulate({ seed: 7, now: NOW, companies: 5 });
    const large = simulate({ seed: 7, now: NOW, companies: 40 });
    const accounts = (s: typeof small) => new Set(s.messages.flatMap((m) => (m.type === 'group' ? [m.groupId] : []))).size;
    expect(accounts(small)).toBe(5);
    expect(accounts(large)).toBe(40);
    expect(large.messages.length).toBeGreaterThan(small.messages.length * 4);
    expect(large.expected.hot.length).toBeGreaterThan(small.expected.hot.length);
    expect(simulate({ seed: 7, now: NOW, companies: 0 }).messages).toEqual([]);
  });

  it('is fast', () => {
    const start = performance.now();
    simulate({ seed: 1, now: NOW });
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('holds its invariants over many seeds and weeks', () => {
    for (let seed = 0; seed < 30; seed++) {
      const weeks = 1 + (seed % 8);
      const s = simulate({ seed, now: NOW, companies: 12, weeks });
      const today = Math.floor(nowMs / DAY);
      const streak = (days: Set<number>) => [today, today - 1].some((d) => days.has(d) && days.has(d - 1) && days.has(d - 2));
      const actual = [...pricingDays(s.messages)].filter(([, days]) => streak(days)).map(([lead]) => lead);
      expect(actual.sort(), `seed ${seed}`).toEqual([...s.expected.hot].sort());
      for (const m of s.messages) expect(Date.parse(m.timestamp)).toBeLessThanOrEqual(nowMs);
    }
  });
});

describe('deliveryOrder', () => {
  it('is a reproducible permutation, mostly in time order with some late arrivals', () => {
    const order = deliveryOrder(run.messages, 42);
    expect(order).toEqual(deliveryOrder(run.messages, 42));
    expect(order).not.toEqual(deliveryOrder(run.messages, 43));
    expect(new Set(order)).toEqual(new Set(run.messages));
    expect(order.length).toBe(run.messages.length);
    let late = 0;
    let latest = -Infinity;
    for (const m of order) {
      const t = Date.parse(m.timestamp);
      if (t < latest) late += 1;
      latest = Math.max(latest, t);
    }
    expect(late).toBeGreaterThan(0);
    expect(late / order.length).toBeLessThan(0.2);
  });
});
