import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { consentCounter, consentCountsKey } from '../src/consent-counts.ts';
import { post, startTestCollector, type TestCollector } from './support.ts';

/** A message that withholds consent to analytics is neither stored nor scored: only counted per source. */
const ns = testNamespace('consent');
const redis = createRedis(services().redisUrl);
let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'consent', consentWithheld: consentCounter(redis, ns, createLogger({ service: 'test', level: 'silent', namespace: ns })) });
});
afterAll(async () => {
  await c?.close();
  await redis.del(consentCountsKey(ns));
  redis.disconnect();
});

describe('a batch with a message that withholds consent', () => {
  it('keeps the others, stores nothing of it, and counts it for its source', async () => {
    const res = await post(`${c.url}/v1/batch`, {
      batch: [
        { type: 'page', anonymousId: 'yes-1', name: 'Pricing', context: { consent: { categoryPreferences: { Analytics: true } } } },
        { type: 'page', anonymousId: 'no-1', name: 'Pricing', context: { consent: { categoryPreferences: { Analytics: false } } } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, accepted: 1, consentWithheld: 1 });
    const stored = (await readTopic(c.kafka, c.topics.events, 1, { settleMs: 500 })).map((r) => JSON.parse(r.value).anonymousId);
    expect(stored).toEqual(['yes-1']);
    expect(await readTopic(c.kafka, c.topics.deadLetter, 0, { settleMs: 300 })).toEqual([]);
    expect(await redis.hgetall(consentCountsKey(ns))).toEqual({ web: '1' });
  });
});
