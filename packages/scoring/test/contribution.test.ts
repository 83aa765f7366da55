import fc from 'fast-check';
import { trackedEventSchema } from '@leadscore/events';
import { describe, expect, it } from 'vitest';
import { companyContributionOf, contributionOf, defaultRules, parseRules } from '../src/index.ts';

const rules = parseRules(defaultRules);

/** Events of every kind the default rules score, at any time of a few weeks. */
const anEvent = fc
  .record({
    message: fc.constantFrom<Record<string, unknown>>(
      { type: 'page', properties: { path: '/pricing' } },
      { type: 'page', properties: { path: '/blog/x' } },
      { type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request', email: 'a@acme.example' } },
      { type: 'track', event: 'Email Link Clicked', properties: { link_url: 'https://acme.example/pricing' } },
      { type: 'track', event: 'Order Completed', properties: { order_id: 'o1', revenue: 120_000, currency: 'USD' } },
      { type: 'group', groupId: 'acme', traits: { industry: 'software', employees: 300 } },
      { type: 'identify', userId: 'u1', traits: { title: 'CTO' } },
    ),
    t: fc.integer({ min: Date.parse('2026-10-01T00:00:00Z'), max: Date.parse('2026-11-25T00:00:00Z') }),
  })
  .map(({ message, t }) => {
    const at = new Date(t).toISOString();
    return trackedEventSchema.parse({ messageId: `m-${t}`, anonymousId: 'anon-1', timestamp: at, receivedAt: at, source: { id: 'web', kind: 'segment' }, ...message });
  });

describe("a company's contribution", () => {
  it("is the same worked out from the lead's contribution of the event, in any time zone, with its company", () => {
    fc.assert(
      fc.property(anEvent, fc.constantFrom('UTC', 'Asia/Shanghai', 'America/Los_Angeles'), (event, zone) => {
        const lead = { ...contributionOf(event, rules, zone), co: 'acme.example' };
        expect(companyContributionOf(event, rules, lead)).toEqual(companyContributionOf(event, rules));
      }),
    );
  });
});
