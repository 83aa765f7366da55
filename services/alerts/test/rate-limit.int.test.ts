import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@leadscore/redis';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { channelRateLimit } from '../src/rate-limit.ts';

const redis = createRedis(services().redisUrl);
const prefix = `{${testNamespace('rate')}.alerts}`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('the per-channel rate limit', () => {
  it('lets a channel send its budget per minute, then says how long to wait for the next minute', async () => {
    const at = Date.UTC(2026, 10, 25, 10, 0, 20);
    const limit = channelRateLimit(redis, prefix, 3, () => at);
    const answers = [await limit.take('wecom'), await limit.take('wecom'), await limit.take('wecom'), await limit.take('wecom')];
    expect(answers.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(answers[3]).toMatchObject({ ok: false });
    const wait = (answers[3] as { retryInMs: number }).retryInMs;
    expect(wait).toBeGreaterThanOrEqual(40_000);
    expect(wait).toBeLessThan(41_001);
  });

  it('keeps one budget per channel', async () => {
    const limit = channelRateLimit(redis, prefix, 1, () => Date.UTC(2026, 10, 25, 11, 0, 0));
    expect(await limit.take('slack')).toEqual({ ok: true });
    expect(await limit.take('feishu')).toEqual({ ok: true });
  });

  it('is shared by every worker, since it counts in Redis', async () => {
    const clock = () => Date.UTC(2026, 10, 25, 12, 0, 0);
    const a = channelRateLimit(redis, prefix, 1, clock);
    const b = channelRateLimit(redis, prefix, 1, clock);
    expect(await a.take('dingtalk')).toEqual({ ok: true });
    expect((await b.take('dingtalk')).ok).toBe(false);
  });
});
