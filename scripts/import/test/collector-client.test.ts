import { describe, expect, it } from 'vitest';
import { importUrl, sendImportBatch, type ClientOptions } from '../collector-client.ts';
import { CollectorError } from '../errors.ts';

type Answer = Response | Error;
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const ok = () => json(200, { success: true, accepted: 1 });

function client(answers: Answer[], overrides: Partial<ClientOptions> = {}) {
  const requests: { url: string; init: RequestInit }[] = [];
  const waits: number[] = [];
  const options: ClientOptions = {
    url: 'http://collector.test:8088',
    importKey: 'ik_test',
    retry: { maxAttempts: 3, baseMs: 100, maxMs: 1000 },
    random: () => 0.5,
    sleep: async (ms) => void waits.push(ms),
    fetch: (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      const answer = answers.shift();
      if (answer === undefined) throw new Error('no more answers');
      if (answer instanceof Error) throw answer;
      return answer;
    }) as typeof fetch,
    ...overrides,
  };
  return { send: () => sendImportBatch({ batch: [{ type: 'identify', userId: 'u' }] }, options), requests, waits };
}

describe('sending a batch to the collector', () => {
  it('posts the batch to /v1/import with the import key as the Basic user name', async () => {
    const c = client([ok()]);
    await c.send();
    expect(c.requests[0]?.url).toBe('http://collector.test:8088/v1/import');
    expect(new Headers(c.requests[0]?.init.headers).get('authorization')).toBe(`Basic ${Buffer.from('ik_test:').toString('base64')}`);
  });

  it('keeps a path in the collector URL', () => {
    expect(importUrl('https://example.test/collect')).toBe('https://example.test/collect/v1/import');
  });

  it('returns the collector\'s per-message rejections', async () => {
    const rejected = [{ index: 0, reason: 'invalid_message', issues: [{ path: 'batch[0].userId', message: 'required' }] }];
    await expect(client([json(200, { success: true, accepted: 0, rejected })]).send()).resolves.toEqual({ success: true, accepted: 0, rejected });
  });

  it('retries a 503 after the Retry-After it names', async () => {
    const c = client([json(503, { error: 'unavailable' }, { 'retry-after': '5' }), ok()]);
    await expect(c.send()).resolves.toMatchObject({ accepted: 1 });
    expect(c.waits).toEqual([5000]);
  });

  it('retries a 429 and a network error with growing waits', async () => {
    const c = client([json(429, {}), new TypeError('fetch failed'), ok()]);
    await c.send();
    expect(c.waits).toEqual([50, 100]);
  });

  it('gives up after the last attempt, saying why', async () => {
    const c = client([json(503, { error: 'unavailable', message: 'events could not be stored now; retry later' }), json(503, {}), json(503, { error: 'unavailable', message: 'still down' })]);
    await expect(c.send()).rejects.toThrow(/did not take a batch after 3 attempts; the last: 503 unavailable: still down/);
    expect(c.requests).toHaveLength(3);
  });

  it('stops at once on a 401, naming the option to fix', async () => {
    const c = client([json(401, { error: 'unauthorized' })]);
    await expect(c.send()).rejects.toThrow(/refused the import key.*--import-key/);
    expect(c.requests).toHaveLength(1);
  });

  it('stops at once on a 400, with the collector\'s message', async () => {
    const err = await client([json(400, { error: 'invalid_batch', message: 'body must be { "batch": [ messages ] }' })]).send().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectorError);
    expect(err).toMatchObject({ status: 400, message: expect.stringContaining('400: invalid_batch: body must be') });
  });

  it('refuses a 200 whose body is not an import result', async () => {
    await expect(client([json(200, { hello: 'world' })]).send()).rejects.toThrow(/not an import result/);
  });
});
