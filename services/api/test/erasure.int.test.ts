import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { ingestWorld, tracked, type IngestWorld, type Worker } from '@leadscore/ingest/test/support.ts';
import { profileKeys, readProfile, suppressionKey } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { services } from '@leadscore/tests/support/services.ts';
import type { FastifyInstance } from 'fastify';
import { startTestApi, type TestApi } from './support.ts';

/**
 * DELETE /leads/:id against real services: nothing of the lead is left in Redis or ClickHouse once the mutations are
 * done, and a later event for one of its identities is dropped by the ingest worker.
 */
const ADMIN = 'tok_admin_0123456789abcdef';
const SALES = 'tok_sales_0123456789abcdef';
const now = Date.now();
const ago = (hours: number) => new Date(now - hours * 3_600_000).toISOString();
let world: IngestWorld;
let worker: Worker;
let app: FastifyInstance;
let queue: Queue;
let api: TestApi;
let n = 0;
const event = (raw: Record<string, unknown>) => tracked({ messageId: `er-${++n}`, ...raw });

beforeAll(async () => {
  world = await ingestWorld(services(), 'erasure');
  await world.produce([
    // ann browsed as a visitor, then identified with her email; she works at acme with bob, who stays.
    event({ type: 'page', anonymousId: 'v-ann', name: 'Pricing', timestamp: ago(5), properties: { path: '/pricing' } }),
    event({ type: 'identify', userId: 'ann', anonymousId: 'v-ann', timestamp: ago(4), traits: { email: 'ann@acme.example', title: 'CEO', budget: 250000 } }),
    event({ type: 'group', userId: 'ann', groupId: 'acme', timestamp: ago(4), traits: { name: 'Acme' } }),
    event({ type: 'page', userId: 'ann', name: 'Pricing', timestamp: ago(1), properties: { path: '/pricing' }, context: { groupId: 'acme' } }),
    event({ type: 'identify', userId: 'bob', timestamp: ago(3), traits: { email: 'bob@acme.example', title: 'CTO' } }),
    event({ type: 'group', userId: 'bob', groupId: 'acme', timestamp: ago(3), traits: { name: 'Acme' } }),
  ]);
  worker = await world.startWorker();
  await world.caughtUp(60_000);
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl, { connectionName: 'test-erasure-queue' }), prefix: alertsQueuePrefix(world.ns) });
  api = await startTestApi(world, { tokens: [{ name: 'ops', token: ADMIN, scopes: ['admin'] }, { name: 'sales', token: SALES, scopes: ['leads:read'] }] });
  await api.api.ranking.sweep(now);
  app = api.app;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await queue?.close();
  await api?.close();
  await worker?.stop();
  await world?.close();
});

const del = (url: string, token: string) => app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${token}` } });
const traces = ['u:ann', 'v-ann', 'ann@acme.example'];

/** Every value of every key of the namespace (and its queue), as text. */
async function everythingIn(redis: typeof world.redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const pattern of [`${world.ns}:*`, `${alertsQueuePrefix(world.ns)}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'set' ? JSON.stringify(await redis.smembers(key))
          : type === 'zset' ? JSON.stringify(await redis.zrange(key, 0, -1)) : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1))
          : type === 'stream' ? JSON.stringify(await redis.xrange(key, '-', '+')) : '';
        out.set(key, value ?? '');
      }
    } while (cursor !== '0');
  }
  return out;
}

describe('DELETE /leads/:id', () => {
  it('needs the admin scope', async () => {
    expect((await del('/leads/u:ann', SALES)).statusCode).toBe(403);
  });

  it('erases the lead and what is linked into it, and lists what it removed', async () => {
    const res = await del('/leads/u:ann', ADMIN);
    expect(res.statusCode).toBe(202);
    const answer = res.json();
    expect(answer.profiles).toEqual(expect.arrayContaining(['a:v-ann', 'u:ann']));
    expect(answer.redis.keys).toBeGreaterThan(0);
    expect(answer.asynchronous).toBe(true);
    expect(answer.clickhouse.map((m: { table: string }) => m.table)).toEqual(expect.arrayContaining(['events', 'score_ledger', 'identity_links']));
    expect(answer.suppressed).toEqual(expect.arrayContaining(['u:ann', 'a:v-ann', 'e:ann@acme.example']));
  });

  it('leaves nothing of the lead in Redis but its identities on the suppression list', async () => {
    for (const [key, value] of await everythingIn(world.redis)) {
      if (key === suppressionKey(world.ns)) continue;
      for (const trace of traces) {
        expect(key.includes(trace) ? key : '', `key ${key}`).toBe('');
        expect(value.includes(trace) ? `${key}: ${value.slice(0, 200)}` : '', `value of ${key}`).toBe('');
      }
    }
    expect((await readProfile(world.redis, world.ns, 'u:bob')).counts.identify).toBe(1);
  });

  it('leaves nothing of the lead in ClickHouse once its mutations are done', async () => {
    const deadline = Date.now() + 60_000;
    while (Number((await world.count(`SELECT count() FROM system.mutations WHERE database = '${world.ns}' AND is_done = 0`)) > 0)) {
      if (Date.now() > deadline) throw new Error('ClickHouse mutations not done within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await world.count("SELECT count() FROM {db}.events WHERE user_id = 'ann' OR anonymous_id = 'v-ann' OR email = 'ann@acme.example'")).toBe(0);
    expect(await world.count("SELECT count() FROM {db}.events_by_profile WHERE profile IN ('u:ann', 'a:v-ann')")).toBe(0);
    expect(await world.count("SELECT count() FROM {db}.identity_links WHERE profile IN ('u:ann', 'a:v-ann') OR lead = 'u:ann'")).toBe(0);
    expect(await world.count("SELECT count() FROM {db}.score_ledger WHERE profile IN ('u:ann', 'a:v-ann')")).toBe(0);
    expect(await world.count("SELECT count() FROM {db}.events WHERE user_id = 'bob'")).toBe(2);
  });

  it('has the ingest worker drop a later event for one of its identities, and count it', async () => {
    await world.produce([event({ type: 'page', userId: 'ann', name: 'Pricing', timestamp: ago(0), properties: { path: '/pricing' } }), event({ type: 'page', anonymousId: 'v-ann', timestamp: ago(0) })]);
    await world.caughtUp(60_000);
    expect(await world.redis.exists(profileKeys(world.ns, 'u:ann').state, profileKeys(world.ns, 'a:v-ann').state)).toBe(0);
    expect(await world.count("SELECT count() FROM {db}.events WHERE user_id = 'ann' OR anonymous_id = 'v-ann'")).toBe(0);
    expect(worker.output()).toMatch(/events of erased identities dropped/);
  });

  it('answers 404 for a lead it knows nothing of', async () => {
    expect((await del('/leads/u:nobody', ADMIN)).statusCode).toBe(404);
  });
});
