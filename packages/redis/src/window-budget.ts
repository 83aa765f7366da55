import type { Redis } from 'ioredis';
import { defineScript, readLuaScript } from './scripts.ts';

const takeFromWindow = readLuaScript(new URL('./lua/takeFromWindow-1.lua', import.meta.url));

/** The answer of a budget: taken, or how long until the window ends. */
export type WindowTake = { readonly ok: true; readonly left: number } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Budgets per window shared by every process through Redis (takeFromWindow-1.lua): `take(key, amount, limit,
 * windowMs)` takes all of `amount` or none. One definition for the collector's rate limits and the ingest workers'
 * form-alert limits.
 */
export function windowBudgets(redis: Redis) {
  const script = defineScript(redis, takeFromWindow);
  return {
    async take(key: string, amount: number, limit: number, windowMs: number): Promise<WindowTake> {
      const [ok, value] = (await script.run(redis, [key], [amount, limit, windowMs])) as [number, number];
      return ok === 1 ? { ok: true, left: value } : { ok: false, retryAfterMs: value };
    },
  };
}
