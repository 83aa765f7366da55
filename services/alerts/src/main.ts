/**
 * The alerts service: hot-lead jobs from the ingest workers, delivered to sales on the channels the rules route
 * them to, once, retried, never silently lost.
 *   config → logger → rules → Redis (portraits, delivered keys, rate) → ClickHouse (migrate, deliveries) →
 *   connection pools → senders → BullMQ worker; SIGTERM: finish the deliveries in hand, close (the pools' idle
 *   sockets too).
 */
import { Queue, Worker } from 'bullmq';
import { createConnectionPools } from '@leadscore/channels';
import { createClickHouse, migrate, serverExecutor } from '@leadscore/clickhouse';
import { EXIT_CONFIG, loadConfigOrExit } from '@leadscore/config';
import { ALERTS_QUEUE, alertsQueuePrefix, retryDelayMs } from '@leadscore/events';

/** Ticks of the digest scheduler, beside the hot-lead queue under the same prefix. */
const DIGESTS_QUEUE = 'alert-digests';
import { handleShutdown, startMetricsServer } from '@leadscore/lifecycle';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { rulesSource } from '@leadscore/rules-source';
import { composeMessage } from './compose.ts';
import { deliveredKeys } from './delivered-keys.ts';
import { createDigests } from './digests.ts';
import { createDeliveryLog } from './delivery-log.ts';
import { createAlertsMetrics } from './metrics.ts';
import { createProcessor, RetryLater } from './processor.ts';
import { channelRateLimit } from './rate-limit.ts';
import { createSenders } from './senders.ts';

const config = loadConfigOrExit('alerts');
const log = createLogger({ service: 'alerts', level: config.logLevel, namespace: config.namespace });
const rules = (() => {
  try {
    return rulesSource(config.ingest.rulesFile, log, config.money);
  } catch (err) {
    process.stderr.write(`alerts: ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
})();

const clickhouse = createClickHouse(config.clickhouse);
await migrate(serverExecutor(clickhouse), config.clickhouse);
const redis = createRedis(config.redis.url, { connectionName: 'alerts', onError: (err) => log.warn({ err: err.message }, 'redis connection error') });
const prefix = alertsQueuePrefix(config.namespace);
const metrics = createAlertsMetrics();
const deliveryLog = createDeliveryLog(clickhouse, `${config.clickhouse.database}.alert_deliveries`, log);

// Keep-alive connections per target and checked address set. As many sockets per target as deliveries run at once
// (the hot-lead worker's and the digest worker's), so a delivery never waits inside the pool for a socket.
const pools = createConnectionPools({ maxSocketsPerPool: config.alerts.concurrency + 1 });
const senders = createSenders(rules.current, { connectTimeoutMs: config.alerts.connectTimeoutMs, timeoutMs: config.alerts.timeoutMs, refusePrivate: config.alerts.refusePrivateTargets, smtpUrl: config.alerts.smtpUrl, emailFrom: config.alerts.emailFrom, env: process.env }, log, pools);
const digests = createDigests({ redis, prefix, rules: rules.current, senders, log });
const processor = createProcessor({
  rules: rules.current,
  compose: (job) => composeMessage(job, { redis, namespace: config.namespace, rules: rules.current(), leadUrl: config.alerts.leadUrl }),
  senders,
  digests,
  delivered: deliveredKeys(redis, prefix),
  rateLimit: channelRateLimit(redis, prefix, config.alerts.ratePerMinute),
  record: deliveryLog.record,
  log,
  onAttempt: (channel, outcome) => metrics.attempts.inc({ channel, outcome }),
});

const worker = new Worker(ALERTS_QUEUE, processor, {
  connection: createRedis(config.redis.url, { connectionName: 'alerts-worker' }),
  prefix,
  concurrency: config.alerts.concurrency,
  settings: {
    // Exponential backoff with full jitter, at least what the receiver's Retry-After asked.
    backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
      retryDelayMs(attemptsMade, { baseMs: config.alerts.backoffMs, maxMs: config.alerts.maxBackoffMs, retryAfter: err instanceof RetryLater ? err.retryAfter : undefined, now: Date.now() }),
  },
});
worker.on('failed', (job, err) => {
  if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) metrics.failed.inc();
  log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'alert attempt failed');
});
worker.on('completed', () => metrics.delivered.inc());

// Digests: a job scheduler ticks (one job per tick, whichever alerts worker takes it) and due digests are sent.
const digestQueue = new Queue(DIGESTS_QUEUE, { connection: createRedis(config.redis.url, { connectionName: 'alerts-digests' }), prefix });
await digestQueue.upsertJobScheduler('digest-tick', { every: config.alerts.digestTickMs }, { name: 'digest-tick' });
const digestWorker = new Worker(DIGESTS_QUEUE, async () => digests.flush(), { connection: createRedis(config.redis.url, { connectionName: 'alerts-digest-worker' }), prefix, concurrency: 1 });

const metricsServer = await startMetricsServer(metrics.registry, '0.0.0.0', config.alerts.metricsPort);
handleShutdown(log, [
  { name: 'bullmq worker (finishes the deliveries in hand)', run: () => worker.close(), timeoutMs: 30_000 },
  { name: 'digest worker', run: async () => (await digestWorker.close(), await digestQueue.close()) },
  // After both workers: no delivery is in hand any more, so only idle keep-alive sockets are closed.
  { name: 'connection pools', run: async () => pools.destroy() },
  { name: 'delivery log (the last attempts to ClickHouse)', run: () => deliveryLog.close() },
  { name: 'rules watcher', run: () => rules.close() },
  { name: 'metrics server', run: () => new Promise<void>((resolve) => metricsServer.close(() => resolve())) },
  { name: 'redis', run: async () => void (await redis.quit()) },
  { name: 'clickhouse', run: () => clickhouse.close() },
]);
log.info({ queue: ALERTS_QUEUE, prefix, concurrency: config.alerts.concurrency, metricsPort: (metricsServer.address() as { port: number }).port }, 'alerts worker running');
