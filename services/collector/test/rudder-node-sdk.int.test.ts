import Analytics from '@rudderstack/rudder-sdk-node';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

/** How long the SDK's queued calls wait before the flush, so that delivery time and call time differ visibly. */
const HOLD_MS = 1500;

type Stored = Record<string, unknown> & { type: string; timestamp: string; originalTimestamp?: string; receivedAt: string };

let c: TestCollector;
const sdkErrors: unknown[] = [];
let calledFrom = 0;
let calledUntil = 0;
let events: Stored[] = [];

/** The one stored event of a type (and, for track, of an event name); fails when there is not exactly one. */
function stored(type: string, event?: string): Stored {
  const found = events.filter((e) => e.type === type && (event === undefined || e.event === event));
  expect(found, `${type}${event ? ` "${event}"` : ''} events in the topic`).toHaveLength(1);
  return found[0] as Stored;
}

beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'rudder_node' });
  // Only the data plane URL and the write key are ours; gzip, batching and retries stay at the SDK's defaults, and
  // the log level and error handler only observe.
  const analytics = new Analytics(WRITE_KEY, {
    dataPlaneUrl: c.url,
    logLevel: 'error',
    // Without a handler a failed flush is an unhandled rejection that would end the test run.
    errorHandler: (err: unknown) => {
      sdkErrors.push(err);
    },
  });

  calledFrom = Date.now();
  // The SDK sends its first call at once; the rest wait in its queue for the flush below.
  analytics.identify({ userId: 'u1', anonymousId: 'anon-1', traits: { email: 'cto@acme.example', title: 'CTO' }, context: { ip: '198.51.100.4' } });
  analytics.track({ userId: 'u1', event: 'Viewed Pricing', properties: { plan: 'enterprise', seats: 40 } });
  analytics.track({ userId: 'u1', event: 'Order Completed', properties: { order_id: 'o-1', revenue: 120000, currency: 'CNY', products: [{ product_id: 'p1', price: 120000, quantity: 1 }] } });
  analytics.page({ anonymousId: 'anon-1', name: 'Pricing', category: 'Product', properties: { path: '/pricing', url: 'https://acme.example/pricing' } });
  analytics.group({ userId: 'u1', groupId: 'acme', traits: { industry: 'software', employees: 250 } });
  analytics.alias({ userId: 'u1', previousId: 'anon-1' });
  calledUntil = Date.now();

  // Deliberately idle (there is no condition to wait for): queued calls then reach the collector well after they
  // were made, which is what lets the timestamp assertions tell call time from delivery time.
  await delay(HOLD_MS);
  await analytics.flush();

  const records = await readTopic(c.kafka, c.topics.events, 6);
  events = records.map((r) => JSON.parse(r.value) as Stored);
});

afterAll(async () => {
  await c?.close();
});

describe("RudderStack's @rudderstack/rudder-sdk-node, pointed at the collector", () => {
  it('delivers every call without the SDK reporting an error', () => {
    expect(sdkErrors).toEqual([]);
    expect(events.map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'track', 'track']);
  });

  it('keeps identify with its traits, ids and context', () => {
    expect(stored('identify')).toMatchObject({
      userId: 'u1',
      anonymousId: 'anon-1',
      traits: { email: 'cto@acme.example', title: 'CTO' },
      // The SDK copies identify traits into context.traits; the collector keeps that copy too.
      context: { ip: '198.51.100.4', traits: { email: 'cto@acme.example', title: 'CTO' } },
    });
  });

  it('keeps a track call with its event name and properties', () => {
    expect(stored('track', 'Viewed Pricing')).toMatchObject({ userId: 'u1', properties: { plan: 'enterprise', seats: 40 } });
  });

  it('keeps an Order Completed with its order id, revenue, currency and products', () => {
    expect(stored('track', 'Order Completed')).toMatchObject({
      userId: 'u1',
      properties: { order_id: 'o-1', revenue: 120000, currency: 'CNY', products: [{ product_id: 'p1', price: 120000, quantity: 1 }] },
    });
  });

  it('keeps page with its name, category and properties', () => {
    expect(stored('page')).toMatchObject({ anonymousId: 'anon-1', name: 'Pricing', category: 'Product', properties: { path: '/pricing', url: 'https://acme.example/pricing' } });
  });

  it('keeps group with its group id and traits', () => {
    expect(stored('group')).toMatchObject({ userId: 'u1', groupId: 'acme', traits: { industry: 'software', employees: 250 } });
  });

  it('keeps alias with the new and the previous id', () => {
    expect(stored('alias')).toMatchObject({ userId: 'u1', previousId: 'anon-1' });
  });

  it("keeps the SDK's own fields: messageId, library, channel and _metadata", () => {
    for (const event of events) {
      // The SDK's uuid, not one the collector made up: it is the key retries are deduplicated by.
      expect(event.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(event).toMatchObject({ channel: 'server', context: { library: { name: 'analytics-node' } }, _metadata: { nodeVersion: process.versions.node } });
    }
  });

  it('tags every event with the source of the write key', () => {
    for (const event of events) expect(event.source).toEqual({ id: 'web', kind: 'segment' });
  });

  it("keeps the SDK's originalTimestamp, which is the moment of the call", () => {
    for (const event of events) {
      expect(event.originalTimestamp, `${event.type} originalTimestamp`).toBeDefined();
      const original = Date.parse(event.originalTimestamp as string);
      expect(original).toBeGreaterThanOrEqual(calledFrom);
      expect(original).toBeLessThanOrEqual(calledUntil);
    }
  });

  it('dates every event by the call, not by its delivery, even when the SDK held it in its queue', () => {
    for (const event of events) {
      // The SDK sends no timestamp; the collector takes originalTimestamp and corrects it by sentAt, which here
      // shares this machine's clock, so only the request's own latency may show.
      const at = Date.parse(event.timestamp);
      expect(Math.abs(at - Date.parse(event.originalTimestamp as string)), `${event.type} timestamp vs originalTimestamp`).toBeLessThan(1000);
      expect(at).toBeGreaterThanOrEqual(calledFrom - 1000);
      expect(at).toBeLessThanOrEqual(calledUntil + 1000);
    }
    // The queued calls reached the collector after the hold; had it used the time of receipt, these would be late.
    const held = events.filter((e) => e.type !== 'identify');
    for (const event of held) expect(Date.parse(event.receivedAt) - Date.parse(event.timestamp)).toBeGreaterThanOrEqual(HOLD_MS - 200);
  });
});
