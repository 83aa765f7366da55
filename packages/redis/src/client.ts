import { Redis, type RedisOptions } from 'ioredis';

export interface RedisClientOptions extends RedisOptions {
  /** Connection errors (ioredis reconnects by itself); without a listener ioredis prints them to the console. */
  readonly onError?: (err: Error) => void;
}

/**
 * The ioredis client of every service. Commands wait in the offline queue while Redis restarts, each bounded by
 * `commandTimeout` when one is given, so the caller decides what a long outage means (the ingest loop pauses the
 * partition and retries); BullMQ's blocking connections need `maxRetriesPerRequest: null`.
 */
export function createRedis(url: string, options: RedisClientOptions = {}): Redis {
  const { onError, ...rest } = options;
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: rest.connectionName ?? 'leadscore',
    ...rest,
  });
  redis.on('error', onError ?? (() => {}));
  return redis;
}
