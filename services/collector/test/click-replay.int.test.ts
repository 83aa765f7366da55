import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedEmailQuery, type EmailLinkFields } from '@leadscore/tracking';
import { services } from '@leadscore/tests/support/services.ts';
import { LINK_SECRET, recordsWhere, startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

/**
 * Every fetch of a signed click link is still written to Kafka, but all fetches of one link by one recipient in one
 * window (24 h from the send time here) carry one messageId, which the workers' dedup and ClickHouse count once.
 */
const HOUR = 3_600_000;
let clock = Date.now();
let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'click_replay', now: () => new Date(clock) });
});
afterAll(async () => {
  await c.close();
});

/** A person's mail client; Node's own user agent would be flagged as a bot. */
const person = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15' };

const sentSecondsAgo = (seconds: number) => Math.floor(clock / 1000) - seconds;

async function click(fields: Partial<EmailLinkFields> & { recipient: string }): Promise<void> {
  const query = signedEmailQuery('click', { writeKey: WRITE_KEY, emailId: 'mail-replay', sentAt: sentSecondsAgo(3600), url: 'https://acme.example/case-study', ...fields }, LINK_SECRET);
  const res = await fetch(`${c.url}/v1/email/click?${query}`, { redirect: 'manual', headers: person });
  expect(res.status).toBe(302);
}

const clicksBy = (userId: string, atLeast: number) => recordsWhere(c, 'events', (e) => e.event === 'Email Link Clicked' && e.userId === userId, atLeast);

describe('the same signed click link fetched again', () => {
  it('is written each time under one message id', async () => {
    const sentAt = sentSecondsAgo(3600);
    for (let i = 0; i < 10; i++) await click({ recipient: 'u-ten', sentAt });
    const events = await clicksBy('u-ten', 10);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(1);
  });

  it('gets another message id for another link of the email', async () => {
    const sentAt = sentSecondsAgo(3600);
    await click({ recipient: 'u-links', sentAt, url: 'https://acme.example/a' });
    // Clicks on different links within seconds look like a scanner; an hour apart they are a person's.
    clock += HOUR;
    await click({ recipient: 'u-links', sentAt, url: 'https://acme.example/b' });
    const events = await clicksBy('u-links', 2);
    expect(events.map((e) => e.flags)).toEqual([[], []]);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(2);
  });

  it('gets another message id for another recipient', async () => {
    const sentAt = sentSecondsAgo(3600);
    await click({ recipient: 'u-first', sentAt });
    await click({ recipient: 'u-second', sentAt });
    const [[first], [second]] = await Promise.all([clicksBy('u-first', 1), clicksBy('u-second', 1)]);
    expect(first?.messageId).not.toBe(second?.messageId);
  });

  it('gets a new message id in the next window after sending', async () => {
    const sentAt = sentSecondsAgo(3600);
    await click({ recipient: 'u-window', sentAt });
    clock += 23 * HOUR - 1000;
    await click({ recipient: 'u-window', sentAt });
    clock += 2000;
    await click({ recipient: 'u-window', sentAt });
    const ids = (await clicksBy('u-window', 3)).map((e) => e.messageId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[1]);
  });

  it("by a security scanner seconds after sending does not take the message id of the person's click after it", async () => {
    const sentAt = sentSecondsAgo(2);
    await click({ recipient: 'u-scanned', sentAt });
    clock += HOUR;
    await click({ recipient: 'u-scanned', sentAt });
    const events = await clicksBy('u-scanned', 2);
    expect(events.map((e) => e.flags.map((f: { kind: string }) => f.kind))).toEqual([['scanner'], []]);
    expect(events[0]?.messageId).not.toBe(events[1]?.messageId);
  });
});
