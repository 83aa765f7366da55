import type { Redis } from 'ioredis';

/**
 * Deliveries per channel per minute, counted in Redis so every alerts worker shares the budget (chat bots cut off
 * senders that post too fast). Answers how long to wait when the minute's budget is spent.
 */
export function channelRateLimit(redis: Redis, prefix: string, perMinute: number, now: () => number = Date.now) {
  return {
    async take(channel: string): Promise<{ ok: true } | { ok: false; retryInMs: number }> {
      const t = now();
      const minute = Math.floor(t / 60_000);
      const key = `${prefix}:rate:${channel}:${minute}`;
      const [[, count]] = (await redis.multi().incr(key).expire(key, 120).exec()) as [[Error | null, number], [Error | null, number]];
      if (count <= perMinute) return { ok: true };
      return { ok: false, retryInMs: (minute + 1) * 60_000 - t + Math.floor(Math.random() * 1000) };
    },
  };
}
