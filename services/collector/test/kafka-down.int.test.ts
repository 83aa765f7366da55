import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { startPrivateServices, type PrivateServices } from '@leadscore/tests/support/private-services.ts';
import { post, startTestCollector, type TestCollector } from './support.ts';

// This file stops Kafka, so it runs against a private broker of its own.
let kafka: PrivateServices;
let c: TestCollector;

beforeAll(async () => {
  kafka = await startPrivateServices(['kafka']);
  c = await startTestCollector(kafka.kafkaBrokers, { label: 'collector_down', produceTimeoutMs: 1500 });
});

afterAll(async () => {
  await c?.close().catch(() => {});
  await kafka?.destroy();
});

describe('when Kafka cannot take events', () => {
  it('answers 503 with Retry-After, never 200, and the client retry lands with the same messageId', async () => {
    const message = { userId: 'u-retry', event: 'Viewed Pricing', messageId: 'retry-me', timestamp: new Date().toISOString() };
    expect((await post(`${c.url}/v1/track`, { ...message, messageId: 'before' })).status).toBe(200);

    await kafka.stop();
    const refused = await post(`${c.url}/v1/track`, message);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${c.url}/readyz`)).status).toBe(503);

    await kafka.start();
    // The client retries as SDKs do, until the collector takes it.
    let status = 0;
    for (let attempt = 0; attempt < 30 && status !== 200; attempt++) {
      status = (await post(`${c.url}/v1/track`, message)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);

    const records = await readTopic(c.kafka, c.topics.events, 2, { timeoutMs: 30_000, settleMs: 1000 });
    const ids = records.map((r) => r.headers['message-id']);
    expect(ids).toContain('before');
    expect(ids).toContain('retry-me');
  });
});
