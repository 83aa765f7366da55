import type { Source } from '@leadscore/events';
import type { Logger } from '@leadscore/log';
import { windowBudgets } from '@leadscore/redis';
import type { Redis } from 'ioredis';

/** A source's budget: messages per window. `*` is every write-key source not named. */
export interface RateLimit {
  readonly source: string;
  readonly messages: number;
  readonly windowMs: number;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number; readonly limit: RateLimit } | { readonly ok: false; readonly tooLarge: true; readonly limit: RateLimit };

/** How often a limiter that cannot reach Redis says so in the log. */
const WARN_EVERY_MS = 10_000;

/**
 * Messages per source per window, counted in Redis so every collector instance shares the budget (a public write
 * key is in every browser: anyone can flood with it). A request is taken whole or refused whole. The limiter
 * protects the pipeline, it is not the pipeline: when Redis does not answer the request goes through (counted and
 * logged), rather than a Redis outage stopping every website's tracking.
 */
export function createRateLimiter(deps: { readonly redis: Redis; readonly namespace: string; readonly limits: readonly RateLimit[]; readonly log: Logger; readonly onError?: () => void }) {
  const budgets = windowBudgets(deps.redis);
  const byName = new Map(deps.limits.map((l) => [l.source, l]));
  let warned = 0;
  const limitOf = (source: Source) => byName.get(source.id) ?? (source.kind === 'import' ? undefined : byName.get('*'));
  return {
    limitOf,
    async take(source: Source, messages: number): Promise<RateDecision> {
      const limit = limitOf(source);
      if (!limit || messages === 0) return { ok: true };
      if (messages > limit.messages) return { ok: false, tooLarge: true, limit };
      try {
        const taken = await budgets.take(`${deps.namespace}:ratelimit:{${source.id}}`, messages, limit.messages, limit.windowMs);
        return taken.ok ? { ok: true } : { ok: false, retryAfterMs: taken.retryAfterMs, limit };
      } catch (err) {
        deps.onError?.();
        if (Date.now() - warned > WARN_EVERY_MS) {
          warned = Date.now();
          deps.log.warn({ err: (err as Error).message, source: source.id }, 'rate limiter unavailable; letting requests through');
        }
        return { ok: true };
      }
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** `500/s`, `60/min`: a limit as people write it. */
export const describeLimit = (l: RateLimit) => `${l.messages}/${l.windowMs === 1000 ? 's' : 'min'}`;
