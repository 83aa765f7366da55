import { randomUUID } from 'node:crypto';
import { defineScript, readLuaScript } from '@leadscore/redis';
import type { Redis } from 'ioredis';

const lua = (file: string) => readLuaScript(new URL(`./lua/${file}`, import.meta.url));

/**
 * One run at a time across workers: a Redis lock with a token, held while the run lasts (extended every third of its
 * time to hold) and released after. A worker that dies lets go when the hold runs out.
 */
export function createRunLock(redis: Redis, key: string, holdMs: number) {
  const hold = defineScript(redis, lua('holdLock-1.lua'));
  const release = defineScript(redis, lua('releaseLock-1.lua'));
  return {
    /**
     * Runs `work` under the lock, waiting up to `waitMs` for another worker's run to end (polling), else returns
     * `{ ran: false }`.
     */
    async run<T>(work: () => Promise<T>, waitMs = 0): Promise<{ ran: true; value: T } | { ran: false }> {
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      while (Number(await hold.run(redis, [key], [token, holdMs])) !== 1) {
        if (Date.now() >= deadline) return { ran: false };
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const renew = setInterval(() => void hold.run(redis, [key], [token, holdMs]).catch(() => {}), Math.max(100, Math.floor(holdMs / 3)));
      try {
        return { ran: true, value: await work() };
      } finally {
        clearInterval(renew);
        await release.run(redis, [key], [token]);
      }
    },
  };
}
