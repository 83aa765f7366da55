import { Redis, type RedisOptions } from 'ioredis';

/**
 * The ioredis client of every service. `maxRetriesPerRequest: null` keeps commands queued while Redis restarts
 * instead of failing them after 20 tries: the ingest loop decides when to give up (it pauses the partition),
 * and BullMQ requires it for blocking connections.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.connectionName ?? 'leadscore',
    ...options,
  });
}
