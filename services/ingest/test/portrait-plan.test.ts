import { describe, expect, it } from 'vitest';
import { intakeMessage, trackedEventSchema, type TrackedEvent } from '@leadscore/events';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { LinkCache } from '../src/link-cache.ts';
import { lookupsFor, planEvents } from '../src/portrait-plan.ts';

const rules = parseRules(defaultRules);
const settings = { freeMailDomains: new Set(['gmail.com']), timeZone: 'UTC' };
const at = '2026-11-25T10:00:00.000Z';
let n = 0;
function event(raw: Record<string, unknown>): TrackedEvent {
  const r = intakeMessage({ messageId: `p-${++n}`, timestamp: at, ...raw }, { receivedAt: new Date(at), source: { id: 'web', kind: 'segment' }, maxFutureMs: 0, maxPastMs: null });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.event;
}
/** As read back from the topic, where anyone with access may have written it: no collector checks. */
const raw = (fields: Record<string, unknown>) => trackedEventSchema.parse({ messageId: `p-${++n}`, timestamp: at, receivedAt: at, source: { id: 'web', kind: 'segment' }, ...fields });

describe('planning a batch for the portraits', () => {
  it('refuses, before anything is written, an event that names nobody', () => {
    const [planned] = planEvents([raw({ type: 'page', anonymousId: 'email:x' })], new LinkCache(), rules, settings);
    expect(planned).toMatchObject({ ok: false, reason: 'no_identity', issues: [{ path: 'anonymousId' }] });
  });

  it('refuses an order whose amount is not a number from 0 to 1e15 (what sums can hold exactly)', () => {
    for (const revenue of [1e308, Number.POSITIVE_INFINITY, -5, Number.NaN]) {
      const [planned] = planEvents([raw({ type: 'track', userId: 'ann', event: 'Order Completed', properties: { order_id: 'o', revenue } })], new LinkCache(), rules, settings);
      expect(planned, String(revenue)).toMatchObject({ ok: false, reason: 'invalid_event' });
    }
  });

  it("gives a visitor's later events in the batch to the lead its identify links it to", () => {
    const planned = planEvents([event({ type: 'identify', userId: 'ann', anonymousId: 'v-1' }), event({ type: 'page', anonymousId: 'v-1' })], new LinkCache(), rules, settings);
    expect(planned.map((p) => p.ok && p.work.decision?.profile)).toEqual(['u:ann', 'u:ann']);
  });

  it('keeps what it decided out of the cache, which takes only what Redis confirmed', () => {
    const cache = new LinkCache();
    planEvents([event({ type: 'identify', userId: 'ann', anonymousId: 'v-1', traits: { email: 'ann@acme.example' } })], cache, rules, settings);
    expect(cache.linkOf('a:v-1')).toBeUndefined();
    expect(cache.emailOwner('ann@acme.example')).toBeUndefined();
  });

  it('goes on with the other events of the batch when one is refused', () => {
    const planned = planEvents([raw({ type: 'page', anonymousId: 'email:x' }), event({ type: 'page', userId: 'bob' })], new LinkCache(), rules, settings);
    expect(planned.map((p) => p.ok)).toEqual([false, true]);
  });

  it('looks up only what the cache cannot answer, and only for identifying events', () => {
    const cache = new LinkCache();
    cache.setLink('a:v-known', { lead: 'u:ann', merged: true });
    const events = [event({ type: 'page', anonymousId: 'v-anon' }), event({ type: 'identify', userId: 'ann', anonymousId: 'v-known' }), event({ type: 'identify', userId: 'bob', anonymousId: 'v-new', traits: { email: 'bob@acme.example' } })];
    expect(lookupsFor(events, cache)).toEqual({ emails: ['bob@acme.example'], visitors: ['v-new'] });
  });
});
