import { createClickHouse, serverExecutor, type ClickHouseSettings } from '@leadscore/clickhouse';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import type { Logger } from '@leadscore/log';
import { createKafka, createProducer, topicNames, type KafkaSettings } from '@leadscore/kafka';
import { createRedis } from '@leadscore/redis';
import type { Producer } from 'kafkajs';
import type { Rules } from '@leadscore/scoring';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createAlertsView } from './alerts-view.ts';
import { createAnalystView } from './analyst-view.ts';
import { createConflictsView } from './conflicts-view.ts';
import type { ApiDeps } from './app.ts';
import { eraseLead } from './erasure.ts';
import { createLiveHub } from './live-hub.ts';
import { createManualMerges } from './manual-merge.ts';
import { createApiMetrics } from './metrics.ts';
import { createRanking, type Ranking } from './ranking.ts';

/**
 * The API's parts wired to the stores, once for the service and its tests: the ranking, the alerts' view over the
 * queue, the live hub on a blocking connection of its own, the analyst view on a client whose session database is
 * the namespace's, erasure. `close` releases what it opened.
 */
export function composeApi(input: {
  readonly redisUrl: string;
  readonly redis: Redis;
  readonly clickhouse: ClickHouseSettings;
  readonly namespace: string;
  readonly database: string;
  readonly rules: () => Rules;
  readonly rankingSweepMs: number;
  /** Where merges by hand send their event (the events topic of the namespace). */
  readonly kafka: KafkaSettings;
  readonly log: Logger;
  readonly now?: () => number;
}): { readonly deps: ApiDeps; readonly ranking: Ranking; close(): Promise<void> } {
  const { redis, namespace, database } = input;
  const clickhouse = createClickHouse(input.clickhouse);
  const analystClickhouse = createClickHouse({ ...input.clickhouse, sessionDatabase: database, maxOpenConnections: 2 });
  const exec = serverExecutor(clickhouse);
  const queueConnection = createRedis(input.redisUrl, { connectionName: 'api-alerts' });
  const queue = new Queue(ALERTS_QUEUE, { connection: queueConnection, prefix: alertsQueuePrefix(namespace) });
  const ranking = createRanking({ redis, namespace, rules: input.rules, everyMs: input.rankingSweepMs });
  const live = createLiveHub({ blocking: createRedis(input.redisUrl, { connectionName: 'api-live' }), redis, namespace, rules: input.rules, log: input.log, ...(input.now ? { now: input.now } : {}) });
  live.start();
  // The producer connects on the first merge by hand: an API that never merges holds no Kafka connection.
  let producer: Promise<Producer> | undefined;
  const producing = () =>
    (producer ??= (async () => {
      const p = createProducer(createKafka(input.kafka, input.log));
      await p.connect();
      return p;
    })().catch((err: unknown) => {
      producer = undefined;
      throw err;
    }));
  const eventsTopic = topicNames(namespace).events;
  const deps: ApiDeps = {
    log: input.log,
    metrics: createApiMetrics(),
    redis,
    exec,
    database,
    namespace,
    rules: input.rules,
    ...(input.now ? { now: input.now } : {}),
    ranking,
    alerts: createAlertsView({ queue, redis, exec, database, namespace }),
    live,
    conflicts: createConflictsView({ exec, database }),
    analyst: createAnalystView({ rows: (sql) => analystClickhouse.query({ query: sql, format: 'JSONEachRow' }).then((r) => r.json()) }),
    erase: (id) => eraseLead({ redis, exec, database, namespace, queue }, id),
    merges: createManualMerges({
      redis,
      exec,
      database,
      namespace,
      sendEvents: async (records) => void (await (await producing()).send({ topic: eventsTopic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) })),
      ...(input.now ? { now: input.now } : {}),
    }),
    ready: async () => {
      try {
        await redis.ping();
        return (await clickhouse.ping()).success;
      } catch {
        return false;
      }
    },
  };
  return {
    deps,
    ranking,
    async close() {
      await live.close();
      if (producer) await (await producer.catch(() => undefined))?.disconnect();
      await queue.close();
      queueConnection.disconnect();
      await clickhouse.close();
      await analystClickhouse.close();
    },
  };
}
