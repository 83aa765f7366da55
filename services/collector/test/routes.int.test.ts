import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterSchema, originalBytes } from '@leadscore/events';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { IMPORT_KEY, post, startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'collector_routes' });
});
afterAll(async () => {
  await c.close();
});

const now = () => new Date().toISOString();
const context = { page: { url: 'https://acme.example/pricing', path: '/pricing', referrer: 'https://google.com/' }, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', ip: '203.0.113.7', campaign: { source: 'newsletter', medium: 'email', name: 'q4' }, groupId: 'acme' };

const calls = {
  track: { userId: 'u-track', messageId: 'r-track', event: 'Viewed Pricing', properties: { plan: 'pro' } },
  page: { anonymousId: 'a-page', messageId: 'r-page', name: 'Pricing', category: 'Docs', properties: { url: 'https://acme.example/pricing' } },
  screen: { userId: 'u-screen', messageId: 'r-screen', name: 'Dashboard' },
  identify: { userId: 'u-identify', anonymousId: 'a-identify', messageId: 'r-identify', traits: { email: 'ceo@acme.example', title: 'CEO' } },
  group: { userId: 'u-group', messageId: 'r-group', groupId: 'acme', traits: { industry: 'software', employees: 250 } },
  alias: { userId: 'u-alias', previousId: 'a-alias', messageId: 'r-alias' },
};

describe('the Segment routes', () => {
  it('write each call type to the events topic with every field intact', async () => {
    for (const [type, body] of Object.entries(calls)) {
      const res = await post(`${c.url}/v1/${type}`, { ...body, timestamp: now(), context, integrations: { All: true } });
      expect(res.status, type).toBe(200);
      expect(res.body).toEqual({ success: true });
    }
    const records = await readTopic(c.kafka, c.topics.events, 6);
    for (const [type, body] of Object.entries(calls)) {
      const record = records.find((r) => r.headers['message-id'] === body.messageId);
      expect(record, type).toBeDefined();
      const event = JSON.parse(record!.value);
      expect(event).toMatchObject({ ...body, type, context, integrations: { All: true }, source: { id: 'web', kind: 'segment' }, flags: [] });
      expect(record!.key).toBe('userId' in body ? body.userId : body.anonymousId);
      expect(record!.headers).toMatchObject({ 'schema-version': '1', source: 'web', type });
    }
  });

  it('refuse a missing or wrong write key with 401', async () => {
    expect((await post(`${c.url}/v1/track`, calls.track, { key: null })).status).toBe(401);
    const wrong = await post(`${c.url}/v1/track`, calls.track, { key: 'not-a-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('accept the write key in the body, as analytics.js sends it, and do not store it', async () => {
    const res = await post(`${c.url}/v1/track`, { ...calls.track, messageId: 'r-bodykey', writeKey: WRITE_KEY }, { key: null });
    expect(res.status).toBe(200);
    const records = await readTopic(c.kafka, c.topics.events, 7);
    const event = JSON.parse(records.find((r) => r.headers['message-id'] === 'r-bodykey')!.value);
    expect(event).not.toHaveProperty('writeKey');
  });

  it('answer 400 with the path of each bad field', async () => {
    const res = await post(`${c.url}/v1/group`, { userId: 'u1', timestamp: 'last tuesday' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_message' });
    expect((res.body.issues as { path: string }[]).map((i) => i.path).sort()).toEqual(['groupId', 'timestamp']);
  });

  it('answer 400 for malformed JSON', async () => {
    const res = await post(`${c.url}/v1/batch`, '{"batch": [');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
  });

  it('refuse a timestamp too far in the future', async () => {
    const res = await post(`${c.url}/v1/track`, { ...calls.track, timestamp: new Date(Date.now() + 3 * 3_600_000).toISOString() });
    expect(res).toMatchObject({ status: 400, body: { error: 'timestamp_out_of_range', issues: [{ path: 'timestamp' }] } });
  });

  it('answer 413 for a message over 32 KB', async () => {
    const res = await post(`${c.url}/v1/track`, { ...calls.track, properties: { blob: 'x'.repeat(33 * 1024) } });
    expect(res.status).toBe(413);
  });

  it('answer 413 for a batch over 500 KB', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => ({ ...calls.track, type: 'track', messageId: `big-${i}`, properties: { blob: 'x'.repeat(15_000) } }));
    expect((await post(`${c.url}/v1/batch`, { batch })).status).toBe(413);
  });

  it('answer 413 for a batch of more than 2,500 messages', async () => {
    const batch = Array.from({ length: 2501 }, () => ({ type: 'track', userId: 'u', event: 'e' }));
    expect((await post(`${c.url}/v1/batch`, { batch })).status).toBe(413);
  });

  it('take gzip-compressed bodies', async () => {
    const body = gzipSync(JSON.stringify({ batch: [{ ...calls.page, type: 'page', messageId: 'r-gzip' }] }));
    const res = await post(`${c.url}/v1/batch`, body, { headers: { 'content-encoding': 'gzip' } });
    expect(res).toMatchObject({ status: 200, body: { success: true, accepted: 1 } });
  });

  it('refuse a body that claims gzip but is not', async () => {
    const res = await post(`${c.url}/v1/batch`, 'plain', { headers: { 'content-encoding': 'gzip' } });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_encoding' } });
  });

  /** fetch with no Content-Type at all, as curl sends with `-H 'Content-Type:'`. */
  const bare = (route: string, body: Uint8Array | string, headers: Record<string, string>) => fetch(`${c.url}${route}`, { method: 'POST', headers, body: typeof body === 'string' ? new TextEncoder().encode(body) : body });

  it('refuse a claimed gzip body that is not, without a key or a content type, and stay up (found by pnpm fuzz)', async () => {
    for (const body of ['x', '{}']) expect((await bare('/v1/track', body, { 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
  });

  it('take a gzip body without a content type', async () => {
    const res = await bare('/v1/batch', gzipSync(JSON.stringify({ batch: [{ ...calls.page, type: 'page', messageId: 'r-gzip-bare' }] })), { 'content-encoding': 'gzip', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, accepted: 1 });
  });
});

describe('a batch with one bad message among good ones', () => {
  it('keeps the good ones, lists the bad one, and puts it in the dead-letter topic with its reason and bytes', async () => {
    const bad = { type: 'track', userId: 'u-batch', messageId: 'b-bad', properties: { x: 1 } };
    const res = await post(`${c.url}/v1/batch`, {
      batch: [
        { ...calls.track, type: 'track', messageId: 'b-good-1' },
        bad,
        { ...calls.page, type: 'page', messageId: 'b-good-2' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      accepted: 2,
      rejected: [{ index: 1, messageId: 'b-bad', reason: 'invalid_message', issues: [{ path: 'batch[1].event', message: 'required' }] }],
    });
    const events = await readTopic(c.kafka, c.topics.events, 1);
    expect(events.length).toBeGreaterThan(0);
    const all = await readTopic(c.kafka, c.topics.events, events.length);
    const ids = all.map((r) => r.headers['message-id']);
    expect(ids).toEqual(expect.arrayContaining(['b-good-1', 'b-good-2']));
    expect(ids).not.toContain('b-bad');

    const [letter] = (await readTopic(c.kafka, c.topics.deadLetter, 1)).map((r) => deadLetterSchema.parse(JSON.parse(r.value)));
    expect(letter).toMatchObject({ reason: 'invalid_message', stage: 'collector', sourceId: 'web', messageId: 'b-bad', issues: [{ path: 'batch[1].event' }] });
    expect(JSON.parse(originalBytes(letter!).toString())).toEqual(bad);
  });
});

describe('a batch body that is not an object', () => {
  it('is a 400 naming the shape expected, never a 500 (found by pnpm fuzz)', async () => {
    for (const body of ['null', '42', '"batch"']) {
      const res = await post(`${c.url}/v1/batch`, body);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('body must be { "batch": [ messages ] }');
    }
  });
});

describe('/v1/import', () => {
  it('takes history of any age with an import key', async () => {
    const res = await post(`${c.url}/v1/import`, { batch: [{ ...calls.track, type: 'track', messageId: 'imp-1', timestamp: '2024-03-01T09:00:00.000Z' }] }, { key: IMPORT_KEY });
    expect(res).toMatchObject({ status: 200, body: { accepted: 1 } });
    const records = await readTopic(c.kafka, c.topics.events, 1);
    const all = await readTopic(c.kafka, c.topics.events, records.length);
    const event = JSON.parse(all.find((r) => r.headers['message-id'] === 'imp-1')!.value);
    expect(event).toMatchObject({ timestamp: '2024-03-01T09:00:00.000Z', source: { id: 'crm', kind: 'import' } });
  });

  it('refuses a write key', async () => {
    expect((await post(`${c.url}/v1/import`, { batch: [] }, { key: WRITE_KEY })).status).toBe(401);
  });

  it('is the only way in for old events', async () => {
    const res = await post(`${c.url}/v1/batch`, { batch: [{ ...calls.track, type: 'track', timestamp: '2024-03-01T09:00:00.000Z' }] });
    expect(res.body).toMatchObject({ accepted: 0, rejected: [{ reason: 'timestamp_out_of_range' }] });
  });
});

describe('operations', () => {
  it('answers health and readiness', async () => {
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${c.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('exposes Prometheus metrics of requests, rejects and produce latency', async () => {
    const text = await (await fetch(`${c.url}/metrics`)).text();
    expect(text).toMatch(/collector_requests_total\{route="\/v1\/track",status="200"\} \d+/);
    expect(text).toMatch(/collector_messages_rejected_total\{route="\/v1\/batch",reason="invalid_message"\} \d+/);
    expect(text).toContain('collector_produce_duration_seconds_bucket');
  });

  it('answers a CORS preflight from a browser', async () => {
    const res = await fetch(`${c.url}/v1/batch`, { method: 'OPTIONS', headers: { origin: 'https://acme.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://acme.example');
  });
});
