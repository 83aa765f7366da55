import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userHashOf } from '@leadscore/events';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { IMPORT_KEY, post, startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

/**
 * What each source may send, enforced message by message: a browser key (public in every page) cannot record orders,
 * set a known user's traits without the site's userHash, or alias; what it refuses is answered and dead-lettered
 * with the rule it broke, and the rest of the batch is kept.
 */
const SHOP_KEY = 'wk_test_shop_789';
const SECRET = 'test-identity-secret-0123';
let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, {
    label: 'policies',
    settings: {
      writeKeys: [
        { source: 'web', key: WRITE_KEY },
        { source: 'shop', key: SHOP_KEY },
      ],
      sourcePolicies: { web: 'browser', shop: 'shop', crm: 'server' },
      identitySecrets: { web: SECRET },
    },
  });
});
afterAll(async () => {
  await c?.close();
});

const order = (id: string) => ({ type: 'track', userId: 'ann', messageId: id, event: 'Order Completed', properties: { order_id: id, revenue: 99, currency: 'USD' } });

describe('a browser key', () => {
  it('is refused an order in a batch, which is dead-lettered with its rule while the page beside it is kept', async () => {
    const res = await post(`${c.url}/v1/batch`, { batch: [{ type: 'page', anonymousId: 'v1', messageId: 'p-1', name: 'Pricing' }, order('o-web')] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, messageId: 'o-web', reason: 'not_permitted', issues: [{ path: 'batch[1].event' }] }] });
    const [letter] = (await readTopic(c.kafka, c.topics.deadLetter, 1)).map((r) => JSON.parse(r.value));
    expect(letter).toMatchObject({ reason: 'not_permitted', sourceId: 'web', stage: 'collector' });
    expect(letter.message).toMatch(/may not send "Order Completed"/);
  });

  it('is answered 403 for an alias, and for a known user\'s traits without a valid userHash', async () => {
    expect((await post(`${c.url}/v1/alias`, { userId: 'ann', previousId: 'bob' })).status).toBe(403);
    const unsigned = await post(`${c.url}/v1/identify`, { userId: 'ann', traits: { title: 'CEO', budget: 1e9 } });
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toMatchObject({ error: 'not_permitted', issues: [{ path: 'context.userHash' }] });
  });

  it('sets a signed-in user\'s traits with the userHash the site\'s backend computed', async () => {
    const signed = await post(`${c.url}/v1/identify`, { userId: 'ann', traits: { title: 'CEO' }, context: { userHash: userHashOf('ann', SECRET) } });
    expect(signed.status).toBe(200);
  });
});

describe('other keys', () => {
  it('a shop key records orders and may not send pages', async () => {
    expect((await post(`${c.url}/v1/track`, order('o-shop'), { key: SHOP_KEY })).status).toBe(200);
    expect((await post(`${c.url}/v1/page`, { userId: 'ann', name: 'Home' }, { key: SHOP_KEY })).status).toBe(403);
  });

  it('an import key sends anything', async () => {
    const res = await post(`${c.url}/v1/import`, { batch: [{ ...order('o-imp'), timestamp: '2025-01-01T00:00:00Z' }, { type: 'alias', userId: 'ann', previousId: 'v9', timestamp: '2025-01-01T00:00:00Z' }] }, { key: IMPORT_KEY });
    expect(res.body).toMatchObject({ accepted: 2 });
  });
});
