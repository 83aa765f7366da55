import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterSchema, originalBytes, type DeadLetter } from '@leadscore/events';
import { signedEmailQuery } from '@leadscore/tracking';
import { services } from '@leadscore/tests/support/services.ts';
import { IMPORT_KEY, LINK_SECRET, post, recordsWhere, startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

/**
 * Input that the collector used to answer 200 and that then stopped the ingest worker for good: refused here, with a
 * 400 naming the field on a single route, or listed in the answer and dead-lettered inside a batch.
 */
let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'hostile_input' });
});
afterAll(async () => {
  await c.close();
});

const good = (messageId: string) => ({ type: 'track', userId: 'u-good', event: 'Viewed Pricing', messageId });

/** A batch of a good message and the given one (JSON text, so escapes arrive as a client wrote them). */
const batchWith = (hostile: string, goodId: string) => `{"batch":[${JSON.stringify(good(goodId))},${hostile}]}`;

async function letterFor(messageId: string): Promise<DeadLetter | undefined> {
  const [letter] = await recordsWhere(c, 'deadLetter', (l) => l.messageId === messageId);
  return letter && deadLetterSchema.parse(letter);
}

async function eventWith(messageId: string): Promise<Record<string, any> | undefined> {
  const [event] = await recordsWhere(c, 'events', (e) => e.messageId === messageId);
  return event;
}

async function rejectedCount(route: string, reason: string): Promise<number> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`collector_messages_rejected_total{route="${route}",reason="${reason}"}`));
  return Number(line?.split(' ').pop() ?? 0);
}

describe('a message that names nobody the worker could give it to', () => {
  it('is answered 400 on a single route, naming the email: identity that is no email address', async () => {
    const res = await post(`${c.url}/v1/page`, { anonymousId: 'email:x', name: 'Pricing' });
    expect(res).toMatchObject({ status: 400, body: { error: 'no_identity', issues: [{ path: 'anonymousId', message: expect.stringContaining('names no email address') }] } });
  });

  it('is listed and dead-lettered in a batch, while the good message is kept', async () => {
    const res = await post(`${c.url}/v1/batch`, batchWith('{"type":"page","anonymousId":"email:x","messageId":"h-nobody"}', 'h-nobody-good'));
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, rejected: [{ index: 1, messageId: 'h-nobody', reason: 'no_identity', issues: [{ path: 'batch[1].anonymousId' }] }] } });
    expect(await letterFor('h-nobody')).toMatchObject({ reason: 'no_identity', stage: 'collector', issues: [{ path: 'batch[1].anonymousId' }] });
    expect(await eventWith('h-nobody-good')).toBeDefined();
  });

  it('is listed and dead-lettered by /v1/import', async () => {
    const hostile = { type: 'identify', anonymousId: 'email:nobody', messageId: 'h-import-nobody', timestamp: '2024-03-01T09:00:00.000Z' };
    const res = await post(`${c.url}/v1/import`, { batch: [hostile] }, { key: IMPORT_KEY });
    expect(res).toMatchObject({ status: 200, body: { accepted: 0, rejected: [{ reason: 'no_identity', issues: [{ path: 'batch[0].anonymousId' }] }] } });
    expect(await letterFor('h-import-nobody')).toMatchObject({ reason: 'no_identity', sourceId: 'crm' });
  });
});

describe('an email link to a recipient that is no email address', () => {
  const link = (kind: 'open' | 'click') =>
    signedEmailQuery(kind, { writeKey: WRITE_KEY, emailId: 'mail-9', recipient: 'ops@localhost', sentAt: Math.floor(Date.now() / 1000) - 3600, ...(kind === 'click' ? { url: 'https://acme.example/docs' } : {}) }, LINK_SECRET);

  it('still gets its pixel, and the open is counted as refused, not stored', async () => {
    const before = await rejectedCount('/v1/email/open', 'no_identity');
    const res = await fetch(`${c.url}/v1/email/open?${link('open')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(await rejectedCount('/v1/email/open', 'no_identity')).toBe(before + 1);
  });

  it('still gets its redirect, and the click is counted as refused, not stored', async () => {
    const before = await rejectedCount('/v1/email/click', 'no_identity');
    const res = await fetch(`${c.url}/v1/email/click?${link('click')}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://acme.example/docs');
    expect(await rejectedCount('/v1/email/click', 'no_identity')).toBe(before + 1);
  });
});

describe('a lone UTF-16 surrogate', () => {
  it('in an event name is answered 400 on a single route, naming event', async () => {
    const res = await post(`${c.url}/v1/track`, '{"userId":"u1","event":"Signed \\ud800Up"}');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_unicode', issues: [{ path: 'event' }] } });
  });

  it('in a trait key is answered 400 on a single route, naming the key escaped', async () => {
    const res = await post(`${c.url}/v1/identify`, '{"userId":"u1","traits":{"\\ud800":"x"}}');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_unicode', issues: [{ path: 'traits.\\ud800' }] } });
  });

  it('in a batch message is listed and dead-lettered with its path and the message as sent', async () => {
    const res = await post(`${c.url}/v1/b`, batchWith('{"type":"identify","userId":"u1","messageId":"h-surrogate","traits":{"title":"\\udc00"}}', 'h-surrogate-good'));
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, rejected: [{ index: 1, reason: 'invalid_unicode', issues: [{ path: 'batch[1].traits.title' }] }] } });
    const letter = await letterFor('h-surrogate');
    expect(letter).toMatchObject({ reason: 'invalid_unicode', issues: [{ path: 'batch[1].traits.title' }] });
    expect(JSON.parse(originalBytes(letter!).toString())).toMatchObject({ traits: { title: '\udc00' } });
  });

  it('in an /v1/import message is listed and dead-lettered', async () => {
    const res = await post(`${c.url}/v1/import`, '{"batch":[{"type":"track","userId":"u1","messageId":"h-import-surrogate","event":"\\udbff","timestamp":"2024-03-01T09:00:00.000Z"}]}', { key: IMPORT_KEY });
    expect(res).toMatchObject({ status: 200, body: { accepted: 0, rejected: [{ reason: 'invalid_unicode', issues: [{ path: 'batch[0].event' }] }] } });
    expect(await letterFor('h-import-surrogate')).toMatchObject({ reason: 'invalid_unicode' });
  });
});

describe('a body that is not UTF-8', () => {
  const bytes = Buffer.concat([Buffer.from('{"userId":"u1","event":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);

  it('is answered 400 on a single route', async () => {
    expect(await post(`${c.url}/v1/track`, bytes)).toMatchObject({ status: 400, body: { error: 'invalid_unicode' } });
  });

  it('is answered 400 on a batch route, as a whole', async () => {
    const batch = Buffer.concat([Buffer.from('{"batch":['), bytes.subarray(0, -1), Buffer.from(',"type":"track"}]}')]);
    expect(await post(`${c.url}/v1/batch`, batch)).toMatchObject({ status: 400, body: { error: 'invalid_unicode' } });
  });
});

describe('an event time the stores cannot hold', () => {
  it('is refused by /v1/import at 1969-12-31T23:59:59Z, naming the field, and dead-lettered', async () => {
    const res = await post(`${c.url}/v1/import`, { batch: [{ ...good('h-1969'), timestamp: '1969-12-31T23:59:59Z' }] }, { key: IMPORT_KEY });
    expect(res).toMatchObject({ status: 200, body: { accepted: 0, rejected: [{ reason: 'timestamp_out_of_range', issues: [{ path: 'batch[0].timestamp' }] }] } });
    expect(await letterFor('h-1969')).toMatchObject({ reason: 'timestamp_out_of_range', stage: 'collector' });
  });

  it('is taken by /v1/import at 1970-01-01T00:00:00Z', async () => {
    const res = await post(`${c.url}/v1/import`, { batch: [{ ...good('h-1970'), timestamp: '1970-01-01T00:00:00Z' }] }, { key: IMPORT_KEY });
    expect(res).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await eventWith('h-1970')).toMatchObject({ timestamp: '1970-01-01T00:00:00.000Z' });
  });

  it('is answered 400 on a single route, naming the field', async () => {
    const res = await post(`${c.url}/v1/track`, { ...good('h-1969-single'), timestamp: '1969-12-31T23:59:59Z' });
    expect(res).toMatchObject({ status: 400, body: { error: 'timestamp_out_of_range', issues: [{ path: 'timestamp' }] } });
  });
});

describe('a __proto__ key', () => {
  it('in traits is answered 400 naming it, and changes no object of the collector', async () => {
    const res = await post(`${c.url}/v1/identify`, '{"userId":"u1","traits":{"__proto__":{"polluted":"yes"}}}');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_message', issues: [{ path: 'traits.__proto__' }] } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('in the context of a batch message is listed and dead-lettered, and changes no object of the collector', async () => {
    const res = await post(`${c.url}/v1/batch`, batchWith('{"type":"page","anonymousId":"a1","messageId":"h-proto","context":{"__proto__":{"ip":"10.0.0.1","polluted":"yes"}}}', 'h-proto-good'));
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, rejected: [{ index: 1, reason: 'invalid_message', issues: [{ path: 'batch[1].context.__proto__' }] }] } });
    expect(await letterFor('h-proto')).toMatchObject({ reason: 'invalid_message', issues: [{ path: 'batch[1].context.__proto__' }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('named constructor in properties is stored as plain data', async () => {
    const res = await post(`${c.url}/v1/track`, { ...good('h-constructor'), properties: { constructor: { prototype: { polluted: 'yes' } } } });
    expect(res.status).toBe(200);
    expect(await eventWith('h-constructor')).toMatchObject({ properties: { constructor: { prototype: { polluted: 'yes' } } } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('nesting deeper than JSON.stringify can go', () => {
  it('in a batch message is refused and dead-lettered, not answered 500', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const res = await post(`${c.url}/v1/batch`, batchWith(`{"type":"track","userId":"u1","event":"x","messageId":"h-deep","properties":{"a":${deep}}}`, 'h-deep-good'));
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, rejected: [{ index: 1, reason: 'invalid_message', issues: [{ path: expect.stringMatching(/^batch\[1\]\.properties\.a\[0\]/) }] }] } });
    expect(await letterFor('h-deep')).toMatchObject({ reason: 'invalid_message' });
  });
});
