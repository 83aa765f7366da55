import type { Redis } from 'ioredis';

/** How long the service remembers what it delivered: far beyond any retry or replay of the same firing. */
const KEEP_SECONDS = 90 * 86_400;

/**
 * The idempotency keys the service has delivered, per channel, under the queue's hash tag. A job enqueued again
 * after a crash (or a retry after one channel of two succeeded) skips what already went out.
 */
export function deliveredKeys(redis: Redis, prefix: string) {
  const key = (idempotencyKey: string, channel: string) => `${prefix}:delivered:${idempotencyKey}:${channel}`;
  return {
    async has(idempotencyKey: string, channel: string): Promise<boolean> {
      return (await redis.exists(key(idempotencyKey, channel))) === 1;
    },
    async remember(idempotencyKey: string, channel: string): Promise<void> {
      await redis.set(key(idempotencyKey, channel), String(Date.now()), 'EX', KEEP_SECONDS);
    },
  };
}
