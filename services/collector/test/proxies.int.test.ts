import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { post, startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

/**
 * X-Forwarded-* headers are believed from the configured proxies only: anyone else setting them passes for nobody
 * (not internal traffic, not another host in the analytics.js settings that shared caches keep).
 */
let direct: TestCollector;
let proxied: TestCollector;
let published: TestCollector;
beforeAll(async () => {
  [direct, proxied, published] = await Promise.all([
    startTestCollector(services().kafkaBrokers, { label: 'proxies_none' }),
    startTestCollector(services().kafkaBrokers, { label: 'proxies_trusted', settings: { trustedProxies: ['127.0.0.1/32'] } }),
    startTestCollector(services().kafkaBrokers, { label: 'proxies_public', settings: { publicUrl: 'https://t.acme.example/collect' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([direct?.close(), proxied?.close(), published?.close()]);
});

const browser = (headers: Record<string, string> = {}) => ({ headers: { origin: 'https://acme.example', ...headers } });
async function eventOf(c: TestCollector, anonymousId: string): Promise<Record<string, any>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await readTopic(c.kafka, c.topics.events, 0, { settleMs: 300 })).map((r) => JSON.parse(r.value)).find((e) => e.anonymousId === anonymousId);
    if (found || Date.now() > deadline) return found;
  }
}
const settingsOf = (c: TestCollector, headers: Record<string, string> = {}) => fetch(`${c.url}/v1/projects/${WRITE_KEY}/settings`, { headers });
type Settings = { integrations: { 'Segment.io': { apiHost: string; protocol: string } } };

describe('a client that sets X-Forwarded-For', () => {
  it('is taken at its socket address when no proxy is trusted: it cannot pass as internal traffic', async () => {
    await post(`${direct.url}/v1/page`, { anonymousId: 'xff-1', name: 'Pricing' }, browser({ 'x-forwarded-for': '10.1.2.3' }));
    const event = await eventOf(direct, 'xff-1');
    expect(event.context.ip).toBe('127.0.0.1');
    expect(event.flags).toEqual([]);
  });

  it('is believed when it is a trusted proxy', async () => {
    await post(`${proxied.url}/v1/page`, { anonymousId: 'xff-2', name: 'Pricing' }, browser({ 'x-forwarded-for': '10.1.2.3' }));
    const event = await eventOf(proxied, 'xff-2');
    expect(event.context.ip).toBe('10.1.2.3');
    expect(event.flags).toMatchObject([{ kind: 'internal' }]);
  });
});

describe('a page that states its own IP', () => {
  it('is taken at the address its request came from', async () => {
    await post(`${direct.url}/v1/page`, { anonymousId: 'ctx-ip', name: 'Pricing', context: { ip: '10.9.9.9' } }, browser());
    const event = await eventOf(direct, 'ctx-ip');
    expect(event.context.ip).toBe('127.0.0.1');
    expect(event.flags).toEqual([]);
  });
});

describe('the analytics.js settings', () => {
  it('ignore X-Forwarded-Host from a client, and are never kept by a shared cache when they name the request\'s host', async () => {
    const res = await settingsOf(direct, { 'x-forwarded-host': 'evil.example' });
    const { apiHost } = ((await res.json()) as Settings).integrations['Segment.io'];
    expect(apiHost).toBe(`${new URL(direct.url).host}/v1`);
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
  });

  it('follow a trusted proxy\'s X-Forwarded-Host', async () => {
    const res = await settingsOf(proxied, { 'x-forwarded-host': 't.acme.example', 'x-forwarded-proto': 'https' });
    expect(((await res.json()) as Settings).integrations['Segment.io']).toMatchObject({ apiHost: 't.acme.example/v1', protocol: 'https' });
  });

  it('name the configured public URL whatever the request says, and may be cached', async () => {
    const res = await settingsOf(published, { 'x-forwarded-host': 'evil.example', host: 'evil.example' });
    expect(((await res.json()) as Settings).integrations['Segment.io']).toMatchObject({ apiHost: 't.acme.example/collect/v1', protocol: 'https' });
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  });
});
