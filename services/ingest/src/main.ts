/**
 * The ingest worker: the events topic, read by a consumer group, applied to the portraits in Redis and stored in
 * ClickHouse, exactly once in effect.
 *   config → logger → ClickHouse (migrate) → Redis (scripts) → Kafka (topics, dead-letter producer) →
 *   batch processor → start guard (no replay beyond the dedup window) → consumer loop; SIGTERM: stop fetching, finish
 *   the batches in hand, insert the rows that linger, commit, close.
 */
import { createClickHouse, migrate, serverExecutor } from '@leadscore/clickhouse';
import { EXIT_CONFIG, loadConfigOrExit } from '@leadscore/config';
import { createKafka, createProducer, ensureTopics, eventTopicSpecs, runBatchConsumer, topicNames } from '@leadscore/kafka';
import { handleShutdown, startMetricsServer } from '@leadscore/lifecycle';
import { createLogger } from '@leadscore/log';
import { definePortraitScripts, publishLiveNotices, suppressedEvents } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { Queue, Worker as BullWorker } from 'bullmq';
import { ALERTS_QUEUE, SWEEPS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { storeRetryDelayMs } from './process-batch.ts';
import { createQuietSweep } from './quiet-sweep.ts';
import { rulesSource } from '@leadscore/rules-source';
import { createIngestMetrics } from './metrics.ts';
import { createScoringPath, scoringSettingsOf } from './scoring-path.ts';
import { createInsertCoalescer } from './insert-coalescer.ts';
import { applyStart, planStart, readPartitionStarts } from './start-guard.ts';
import { createWarehouse, monthOf } from './warehouse.ts';

const config = loadConfigOrExit('ingest');
const log = createLogger({ service: 'ingest', level: config.logLevel, namespace: config.namespace });
const topics = topicNames(config.namespace);

const clickhouse = createClickHouse(config.clickhouse);
await migrate(serverExecutor(clickhouse), config.clickhouse);

const redis = createRedis(config.redis.url, {
  connectionName: 'ingest',
  // A batch waits at most this long for Redis; then it is retried with backoff and its partition paused.
  commandTimeout: config.ingest.storeTimeoutMs,
  onError: (err) => log.warn({ err: err.message }, 'redis connection error'),
});
const scripts = definePortraitScripts(redis);

const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-ingest` }, log);
await ensureTopics(kafka, eventTopicSpecs(config.namespace, config.kafka));
const producer = createProducer(kafka);
await producer.connect();

const rules = (() => {
  try {
    return rulesSource(config.ingest.rulesFile, log, config.money);
  } catch (err) {
    // An invalid rules file stops start-up, naming the bad entries; nothing runs on rules nobody wrote.
    process.stderr.write(`ingest: ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
})();
const metrics = createIngestMetrics();
// BullMQ needs a connection that waits for Redis rather than timing out, so the queue has its own.
const queueConnection = createRedis(config.redis.url, { connectionName: 'ingest-alerts', onError: (err) => log.warn({ err: err.message }, 'redis (alerts queue) connection error') });
const queue = new Queue(ALERTS_QUEUE, { connection: queueConnection, prefix: alertsQueuePrefix(config.namespace) });
// The scoring path (portraits, alert decisions, the outbox), shared with rescore and backtest.
// Rows of the batches in hand go to ClickHouse together, about once a second per table (INGEST_CLICKHOUSE_LINGER_MS),
// while later batches are applied to the portraits; offsets are committed once a batch's rows are in.
const inserts = createInsertCoalescer(clickhouse, {
  lingerMs: config.ingest.clickhouseLingerMs,
  partitionOf: monthOf,
  onInsert: (table, rows) => (metrics.clickhouseInserts.inc({ table }), metrics.clickhouseRows.inc({ table }, rows)),
});
const { applyBatch, outbox } = createScoringPath(scoringSettingsOf(config), {
  redis,
  scripts,
  rules: rules.current,
  alerts: queue,
  warehouse: createWarehouse(inserts, clickhouse, config.clickhouse.database),
  suppressed: (events) => suppressedEvents(redis, config.namespace, events),
  live: (notices) => publishLiveNotices(redis, config.namespace, notices),
  sendDeadLetters: async (messages) => {
    await producer.send({ topic: topics.eventsDeadLetter, acks: -1, messages });
  },
  metrics,
  log,
});
await outbox.recover();

// The quiet sweep: a job scheduler (one job per interval, whichever worker takes it) and its processor.
const sweeps = new Queue(SWEEPS_QUEUE, { connection: queueConnection, prefix: alertsQueuePrefix(config.namespace) });
await sweeps.upsertJobScheduler('quiet-sweep', { every: config.ingest.quietSweepEveryMs }, { name: 'quiet-sweep' });
const sweep = createQuietSweep({ namespace: config.namespace, redis, scripts, outbox, rules: rules.current, log });
const sweeper = new BullWorker(SWEEPS_QUEUE, async () => sweep(), { connection: createRedis(config.redis.url, { connectionName: 'ingest-sweeps' }), prefix: alertsQueuePrefix(config.namespace), concurrency: 1 });

// A partition the group would read from its beginning must not hold more than the portraits' dedup window remembers.
const groupId = `${config.namespace}.ingest`;
{
  const admin = kafka.admin();
  await admin.connect();
  try {
    const plan = planStart(await readPartitionStarts(admin, groupId, topics.events, Date.now() - config.ingest.dedupWindowMs), config.ingest.startWithoutOffsets, config.ingest.dedupWindowMs / 86_400_000);
    if (plan.kind === 'refuse') {
      process.stderr.write(`ingest: ${plan.message}\n`);
      log.fatal({ topic: topics.events, group: groupId }, plan.message);
      process.exit(EXIT_CONFIG);
    }
    if (plan.seeks.length > 0) {
      await applyStart(admin, groupId, topics.events, plan).catch((err: Error) => log.warn({ err: err.message }, 'another worker of the group is consuming; its own start applied the window'));
      log.warn({ seeks: plan.seeks.map((s) => ({ partition: s.partition, offset: String(s.offset) })) }, 'partitions without committed offsets start at the dedup window (INGEST_START_WITHOUT_OFFSETS=dedup-window)');
    }
  } finally {
    await admin.disconnect();
  }
}

const metricsServer = await startMetricsServer(metrics.registry, '0.0.0.0', config.ingest.metricsPort);
const consumer = await runBatchConsumer({
  kafka,
  groupId,
  topic: topics.events,
  log,
  handle: applyBatch,
  maxPendingMessages: config.ingest.maxPendingEvents,
  partitionsConsumedConcurrently: config.ingest.partitionsConcurrently,
  maxBytesPerPartition: config.ingest.maxBatchBytes,
  sessionTimeoutMs: config.ingest.sessionTimeoutMs,
  backoffMs: storeRetryDelayMs,
  onRetry: () => metrics.batchRetries.inc(),
  onFatal: (err) => {
    // Rather than stay up consuming nothing: exit, so the supervisor starts a fresh worker and the group moves on.
    log.fatal({ err }, 'kafka consumer crashed and will not restart; shutting down');
    void lifecycle.shutdown('kafka consumer crashed', 1);
  },
  onCommitted: (batch, lag, seconds) => {
    metrics.pendingMessages.set(consumer.pending());
    metrics.batchSeconds.observe(seconds);
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, lag);
  },
});

const lifecycle = handleShutdown(log, [
  {
    name: 'kafka consumer (finishes the batches in hand, inserts what lingers, commits)',
    run: () => consumer.stop({ flush: () => inserts.flushAll(), timeoutMs: 25_000 }),
    timeoutMs: 30_000,
  },
  { name: 'dead-letter producer', run: () => producer.disconnect() },
  { name: 'rules watcher', run: () => rules.close() },
  { name: 'metrics server', run: () => new Promise<void>((resolve) => metricsServer.close(() => resolve())) },
  { name: 'quiet sweeper', run: () => sweeper.close() },
  { name: 'alerts queue', run: async () => (await sweeps.close(), await queue.close(), void (await queueConnection.quit())) },
  { name: 'redis', run: async () => void (await redis.quit()) },
  { name: 'clickhouse', run: () => clickhouse.close() },
]);
log.info({ topic: topics.events, group: `${config.namespace}.ingest`, metricsPort: (metricsServer.address() as { port: number }).port }, 'ingest worker running');
