import type { Source } from '@leadscore/events';
import type { Logger } from '@leadscore/log';
import type { Redis } from 'ioredis';

/** Messages dropped for withheld consent, per source: a hash of counts, the only trace such messages leave. */
export const consentCountsKey = (namespace: string) => `${namespace}:consent:withheld`;

/** Counts withheld messages in Redis; a count that cannot be written is logged, never a reason to fail the request. */
export function consentCounter(redis: Redis, namespace: string, log: Logger) {
  return async (source: Source, count: number): Promise<void> => {
    await redis.hincrby(consentCountsKey(namespace), source.id, count).catch((err: Error) => log.warn({ err: err.message, source: source.id, count }, 'consent-withheld count not kept'));
  };
}
