import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A replay's scratch namespace: its own keys under the live namespace's prefix and a word of its purpose, so a
 * replay never touches a live key and whatever a stopped one left behind is easy to find and remove.
 */
export const scratchNamespace = (namespace: string, purpose: 'backtest' | 'rescore') => `${namespace}:${purpose}:${randomBytes(4).toString('hex')}`;

/** Every key of a scratch namespace, a page at a time. */
export async function* scratchKeys(redis: Redis, scratch: string, page = 5000): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${scratch}:*`, 'COUNT', page);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

export async function dropScratch(redis: Redis, scratch: string): Promise<void> {
  for await (const keys of scratchKeys(redis, scratch)) await redis.unlink(...keys);
}
