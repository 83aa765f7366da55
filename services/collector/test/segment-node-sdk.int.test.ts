import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'segment_node' });
});
afterAll(async () => {
  await c.close();
});

describe("Segment's @segment/analytics-node, pointed at the collector", () => {
  it('delivers every call type with every field intact', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: c.url, flushAt: 20, flushInterval: 50, maxRetries: 2 });
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    const at = new Date(Date.now() - 60_000);
    const context = { ip: '198.51.100.4', userAgent: 'node', page: { url: 'https://acme.example/pricing' }, groupId: 'acme' };

    analytics.identify({ userId: 'u1', anonymousId: 'anon-1', traits: { email: 'cto@acme.example', title: 'CTO' }, timestamp: at, context, messageId: 'sdk-identify' });
    analytics.track({ userId: 'u1', event: 'Viewed Pricing', properties: { plan: 'enterprise', seats: 40 }, timestamp: at, context, messageId: 'sdk-track' });
    analytics.page({ anonymousId: 'anon-1', name: 'Pricing', category: 'Product', properties: { path: '/pricing' }, timestamp: at, messageId: 'sdk-page' });
    analytics.screen({ userId: 'u1', name: 'Dashboard', timestamp: at, messageId: 'sdk-screen' });
    analytics.group({ userId: 'u1', groupId: 'acme', traits: { industry: 'software', employees: 250 }, timestamp: at, messageId: 'sdk-group' });
    analytics.alias({ userId: 'u1', previousId: 'anon-1', timestamp: at, messageId: 'sdk-alias' });
    analytics.track({ userId: 'u1', event: 'Order Completed', properties: { order_id: 'o-1', revenue: 120000, currency: 'CNY', products: [{ product_id: 'p1', price: 120000, quantity: 1 }] }, timestamp: at, messageId: 'sdk-order' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const records = await readTopic(c.kafka, c.topics.events, 7);
    const byId = new Map(records.map((r) => [r.headers['message-id'], JSON.parse(r.value)]));
    expect(byId.get('sdk-identify')).toMatchObject({ type: 'identify', userId: 'u1', anonymousId: 'anon-1', traits: { email: 'cto@acme.example', title: 'CTO' }, context: { ...context, library: { name: '@segment/analytics-node' } } });
    expect(byId.get('sdk-track')).toMatchObject({ type: 'track', event: 'Viewed Pricing', properties: { plan: 'enterprise', seats: 40 }, originalTimestamp: at.toISOString() });
    expect(byId.get('sdk-page')).toMatchObject({ type: 'page', name: 'Pricing', category: 'Product', properties: { path: '/pricing' } });
    expect(byId.get('sdk-screen')).toMatchObject({ type: 'screen', name: 'Dashboard' });
    expect(byId.get('sdk-group')).toMatchObject({ type: 'group', groupId: 'acme', traits: { industry: 'software', employees: 250 } });
    expect(byId.get('sdk-alias')).toMatchObject({ type: 'alias', userId: 'u1', previousId: 'anon-1' });
    expect(byId.get('sdk-order')).toMatchObject({ type: 'track', event: 'Order Completed', properties: { order_id: 'o-1', revenue: 120000, currency: 'CNY' } });
    for (const event of byId.values()) {
      // The SDK stamps sentAt; the collector corrects the clock with it, so the event time stays within a second.
      expect(Math.abs(Date.parse(event.timestamp) - at.getTime())).toBeLessThan(1000);
      expect(event.source).toEqual({ id: 'web', kind: 'segment' });
    }
  });
});
