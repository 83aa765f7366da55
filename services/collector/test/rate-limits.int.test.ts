import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@leadscore/tests/support/free-port.ts';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { IMPORT_KEY, post, startTestCollector, type TestCollector } from './support.ts';

/**
 * Messages per source per window, counted in Redis: two collector instances share one budget, a flood gets 429 with
 * Retry-After, and a Redis that does not answer lets traffic through rather than stopping every site's tracking.
 */
const shared = testNamespace('rate_limits');
const limits = [{ source: 'web', messages: 5, windowMs: 60_000 }];
let a: TestCollector;
let b: TestCollector;
let blind: TestCollector;
beforeAll(async () => {
  const redisUrl = services().redisUrl;
  [a, b, blind] = await Promise.all([
    startTestCollector(services().kafkaBrokers, { label: 'rate_a', rateLimits: { redisUrl, namespace: shared, limits } }),
    startTestCollector(services().kafkaBrokers, { label: 'rate_b', rateLimits: { redisUrl, namespace: shared, limits } }),
    startTestCollector(services().kafkaBrokers, { label: 'rate_blind', rateLimits: { redisUrl: `redis://127.0.0.1:${await freePort()}`, limits } }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), blind?.close()]);
});

const pages = (n: number, prefix: string) => ({ batch: Array.from({ length: n }, (_, i) => ({ type: 'page', anonymousId: `${prefix}-${i}`, name: 'Home' })) });

describe('a source\'s rate limit', () => {
  it('is one budget across collector instances: past it, 429 with Retry-After, naming the limit', async () => {
    expect((await post(`${a.url}/v1/batch`, pages(3, 'a'))).status).toBe(200);
    expect((await post(`${b.url}/v1/batch`, pages(2, 'b'))).status).toBe(200);
    const refused = await post(`${b.url}/v1/page`, { anonymousId: 'b-late', name: 'Home' });
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/^source web may send 5\/min; retry in \d+ s$/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await post(`${a.url}/v1/batch`, pages(1, 'a-late'))).status).toBe(429);
  });

  it('refuses a request larger than the whole window allows as too large, not as "try later"', async () => {
    const res = await post(`${a.url}/v1/batch`, pages(6, 'big'));
    expect(res.status).toBe(413);
    expect(res.body.message).toBe("6 messages in one request exceed source web's rate limit of 5/min: send smaller batches");
  });

  it('leaves a source it does not name alone (an import key here)', async () => {
    const res = await post(`${a.url}/v1/import`, { batch: Array.from({ length: 8 }, (_, i) => ({ type: 'page', anonymousId: `imp-${i}`, name: 'Home', timestamp: '2025-01-01T00:00:00Z' })) }, { key: IMPORT_KEY });
    expect(res.status).toBe(200);
  });

  it('lets traffic through when Redis does not answer', async () => {
    for (let i = 0; i < 7; i++) expect((await post(`${blind.url}/v1/page`, { anonymousId: `blind-${i}`, name: 'Home' })).status).toBe(200);
  });
});
