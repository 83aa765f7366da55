import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_TOKEN_PARAM, emailTokenProves } from '@leadscore/events';
import { signedEmailQuery } from '@leadscore/tracking';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { LINK_SECRET, post, startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'email_noise' });
});
afterAll(async () => {
  await c.close();
});

const hourAgo = () => Math.floor(Date.now() / 1000) - 3600;
const link = (kind: 'open' | 'click', over: Record<string, unknown> = {}) =>
  signedEmailQuery(kind, { writeKey: WRITE_KEY, emailId: 'mail-7', campaignId: 'q4-launch', recipient: 'Ann@Customer.example', sentAt: hourAgo(), ...(kind === 'click' ? { url: 'https://acme.example/case-study' } : {}), ...over }, LINK_SECRET);

/** A person's mail client; Node's own user agent would be flagged as a bot. */
const person = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15' };

async function eventsWhere(predicate: (e: Record<string, any>) => boolean, atLeast = 1): Promise<Record<string, any>[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const all = (await readTopic(c.kafka, c.topics.events, 0, { settleMs: 400 })).map((r) => JSON.parse(r.value));
    const found = all.filter(predicate);
    if (found.length >= atLeast || Date.now() > deadline) return found;
  }
}

describe('the email open pixel', () => {
  it('answers a 1×1 GIF that is never cached and records "Email Opened" for the recipient', async () => {
    const res = await fetch(`${c.url}/v1/email/open?${link('open')}`, { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Outlook' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect((await res.arrayBuffer()).byteLength).toBeLessThan(100);
    const [opened] = await eventsWhere((e) => e.event === 'Email Opened');
    expect(opened).toMatchObject({
      type: 'track',
      anonymousId: 'email:ann@customer.example',
      properties: { email_id: 'mail-7', campaign_id: 'q4-launch' },
      context: { traits: { email: 'ann@customer.example' } },
      source: { id: 'web', kind: 'email' },
      flags: [],
    });
  });

  it('refuses a forged signature', async () => {
    const forged = link('open');
    forged.set('r', 'boss@customer.example');
    expect((await fetch(`${c.url}/v1/email/open?${forged}`)).status).toBe(403);
  });
});

describe('the email click redirect', () => {
  it('redirects to the signed target and records "Email Link Clicked"', async () => {
    const res = await fetch(`${c.url}/v1/email/click?${link('click', { recipient: 'u-991' })}`, { redirect: 'manual', headers: person });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://acme.example/case-study');
    const [clicked] = await eventsWhere((e) => e.event === 'Email Link Clicked' && e.userId === 'u-991');
    expect(clicked).toMatchObject({ properties: { email_id: 'mail-7', link_url: 'https://acme.example/case-study' }, flags: [] });
  });

  it("hands the landing page a token proving the recipient's address, which the page's tracker presents", async () => {
    const res = await fetch(`${c.url}/v1/email/click?${link('click', { recipient: 'Ann@Customer.example', url: 'https://acme.example/case-study?ref=mail' })}`, { redirect: 'manual', headers: person });
    const location = new URL(res.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe('https://acme.example/case-study');
    expect(location.searchParams.get('ref')).toBe('mail');
    const token = location.searchParams.get(EMAIL_TOKEN_PARAM);
    expect(emailTokenProves(token, 'ann@customer.example', Date.now(), LINK_SECRET)).toBe(true);
    expect(emailTokenProves(token, 'eve@customer.example', Date.now(), LINK_SECRET)).toBe(false);
  });

  it('refuses a forged signature without redirecting', async () => {
    const forged = link('click');
    forged.set('u', 'https://acme.example/other');
    const res = await fetch(`${c.url}/v1/email/click?${forged}`, { redirect: 'manual', headers: person });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
  });

  it('refuses a correctly signed link to a host off the allow-list', async () => {
    const res = await fetch(`${c.url}/v1/email/click?${link('click', { url: 'https://evil.example/phish' })}`, { redirect: 'manual', headers: person });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('noise that must not heat a lead is flagged, and kept', () => {
  it('flags a click within seconds of sending as a security scanner', async () => {
    await fetch(`${c.url}/v1/email/click?${link('click', { recipient: 'u-early', sentAt: Math.floor(Date.now() / 1000) - 2 })}`, { redirect: 'manual', headers: person });
    const [event] = await eventsWhere((e) => e.userId === 'u-early');
    expect(event?.flags).toMatchObject([{ kind: 'scanner', reason: expect.stringContaining('after the email was sent') }]);
  });

  it('flags every link of an email clicked at once as a security scanner', async () => {
    for (const path of ['a', 'b', 'c']) {
      await fetch(`${c.url}/v1/email/click?${link('click', { recipient: 'u-burst', url: `https://acme.example/${path}` })}`, { redirect: 'manual', headers: person });
    }
    const events = await eventsWhere((e) => e.userId === 'u-burst', 3);
    expect(events.map((e) => e.flags.map((f: { kind: string }) => f.kind))).toEqual([[], ['scanner'], ['scanner']]);
  });

  it('flags a known crawler', async () => {
    await post(`${c.url}/v1/page`, { anonymousId: 'crawler-1', name: 'Pricing', context: { userAgent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)' } });
    const [event] = await eventsWhere((e) => e.anonymousId === 'crawler-1');
    expect(event?.flags).toMatchObject([{ kind: 'bot' }]);
  });

  it('flags traffic from an internal network', async () => {
    await post(`${c.url}/v1/page`, { anonymousId: 'office-1', name: 'Pricing', context: { ip: '10.1.2.3' } });
    const [event] = await eventsWhere((e) => e.anonymousId === 'office-1');
    expect(event?.flags).toMatchObject([{ kind: 'internal', reason: expect.stringContaining('10.1.2.3') }]);
  });

  it('flags staff by their email domain', async () => {
    await post(`${c.url}/v1/identify`, { userId: 'staff-1', traits: { email: 'rep@ourcompany.example' } });
    const [event] = await eventsWhere((e) => e.userId === 'staff-1');
    expect(event?.flags).toMatchObject([{ kind: 'internal', reason: expect.stringContaining('ourcompany.example') }]);
  });

  it('takes a browser request\'s own address as the visitor\'s IP', async () => {
    await post(`${c.url}/v1/page`, { anonymousId: 'browser-1', name: 'Home' }, { headers: { origin: 'https://acme.example' } });
    const [event] = await eventsWhere((e) => e.anonymousId === 'browser-1');
    expect(event?.context.ip).toBe('127.0.0.1');
  });
});
