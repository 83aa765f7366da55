import type { TrackedEvent } from '@leadscore/events';
import { tracked } from './support.ts';

/** A small deterministic B2B history: visitors who identify later, form leads, a provisional lead claimed by a user,
 * orders (one sent twice under two message ids), a company. `at(day, hour)` are past UTC times. */
export function scenario(): TrackedEvent[] {
  const base = Date.UTC(2026, 9, 1);
  const at = (day: number, hour: number) => new Date(base + day * 86_400_000 + hour * 3_600_000).toISOString();
  const browser = { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' };
  const events: Record<string, unknown>[] = [];
  let n = 0;
  const id = () => `s-${++n}`;
  for (const person of ['ann', 'bob', 'cy', 'dee', 'eli']) {
    const visitor = `v-${person}`;
    for (const day of [1, 2, 3]) events.push({ type: 'page', anonymousId: visitor, name: 'Pricing', timestamp: at(day, 9), messageId: id(), context: { ...browser, page: { path: '/pricing', url: 'https://acme.example/pricing' } } });
    events.push({ type: 'identify', userId: person, anonymousId: visitor, timestamp: at(4, 10), messageId: id(), traits: { email: `${person}@corp-${person}.example`, title: 'CTO', name: person.toUpperCase() }, context: browser });
    events.push({ type: 'identify', userId: person, timestamp: at(6, 10), messageId: id(), traits: { title: 'VP Engineering' }, context: browser });
    events.push({ type: 'page', anonymousId: visitor, name: 'Docs', timestamp: at(5, 9), messageId: id(), context: { ...browser, page: { path: '/docs' } } });
    events.push({ type: 'track', userId: person, event: 'Order Completed', timestamp: at(7, 12), messageId: id(), properties: { order_id: `o-${person}`, revenue: 1000, currency: 'USD' }, context: browser });
  }
  // The same order sent again under a new message id (a client bug, a backfill): counted once, for good.
  events.push({ type: 'track', userId: 'ann', event: 'Order Completed', timestamp: at(7, 12), messageId: id(), properties: { order_id: 'o-ann', revenue: 1000, currency: 'USD' }, context: browser });
  for (const person of ['fay', 'gus']) {
    events.push({ type: 'page', anonymousId: `v-${person}`, name: 'Case studies', timestamp: at(2, 8), messageId: id(), context: browser });
    events.push({ type: 'track', anonymousId: `v-${person}`, event: 'Form Submitted', timestamp: at(2, 9), messageId: id(), properties: { form_id: 'demo', email: `${person}@beta.example`, company: 'Beta', budget: '100k+' }, context: browser });
  }
  // A provisional email lead later claimed by a user id.
  events.push({ type: 'identify', userId: 'gus-1', timestamp: at(9, 9), messageId: id(), traits: { email: 'gus@beta.example' }, context: browser });
  events.push({ type: 'group', userId: 'ann', groupId: 'acme', timestamp: at(3, 9), messageId: id(), traits: { industry: 'software', employees: 250 }, context: browser });
  events.push({ type: 'page', userId: 'bob', name: 'Pricing', timestamp: at(8, 9), messageId: id(), context: { ...browser, groupId: 'acme' } });
  return events.map((e) => tracked(e, new Date(Date.UTC(2026, 9, 20))));
}

/** The same events in a random order (seeded). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
