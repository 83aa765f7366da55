import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import clusterKeySlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { createRedis, defineScript, hashTagged, readLuaScript, type ScriptCommand } from '@leadscore/redis';
import { services } from '../support/services.ts';
import { testNamespace } from '../support/namespace.ts';

const ns = testNamespace('redis_smoke');
let redis: Redis;
let script: ScriptCommand;

beforeAll(() => {
  redis = createRedis(services().redisUrl);
  script = defineScript(redis, readLuaScript(new URL('../fixtures/incrementAndRemember-2.lua', import.meta.url)));
});

afterAll(async () => {
  const keys = await redis.keys(`${ns}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('Redis smoke', () => {
  it('round-trips a value', async () => {
    await redis.set(`${ns}:greeting`, '你好, world');
    expect(await redis.get(`${ns}:greeting`)).toBe('你好, world');
  });

  it('runs a Lua script loaded from a .lua file as a named command', async () => {
    const counter = hashTagged(ns, 'lead', 'u1', 'counter');
    const hash = hashTagged(ns, 'lead', 'u1', 'last');
    expect(await script.run(redis, [counter, hash], [5, 'first'])).toBe(5);
    expect(await script.run(redis, [counter, hash], [2, 'second'])).toBe(7);
    expect(await redis.hgetall(hash)).toEqual({ last: '7', label: 'second' });
  });

  it('runs the script for many keys in one pipelined round trip', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 50; i++) script.queue(pipeline, [hashTagged(ns, 'lead', `p${i}`, 'c'), hashTagged(ns, 'lead', `p${i}`, 'h')], [i, 'x']);
    const results = await pipeline.exec();
    expect(results?.map(([err, value]) => err ?? value)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('names the script by its content, so two versions cannot collide', () => {
    expect(script.script.command).toMatch(/^incrementAndRemember_[0-9a-f]{8}$/);
    expect(script.script.numberOfKeys).toBe(2);
  });

  it('refuses a call with the wrong number of keys', () => {
    expect(() => script.run(redis, ['only-one'], [1, 'x'])).toThrow(/takes 2 keys/);
  });

  it('keeps all keys of one lead in one cluster slot, whatever its id holds', () => {
    const keys = ['traits', 'counters', 'dedup'].map((suffix) => hashTagged(ns, 'lead', 'we{ir}d}', suffix));
    expect(new Set(keys.map((k) => clusterKeySlot(k))).size).toBe(1);
    expect(keys[0]).toContain('{lead:we%7Bir%7Dd%7D}:');
  });
});
