/**
 * The rollups worker: on a schedule, the analysts' snapshot (lead and company RFM, lifecycle stage, ABC class,
 * lifetime-value inputs, how the base moved) computed and published in ClickHouse, then written back to the live
 * portraits in Redis.
 *   config → logger → rollup settings, scoring rules → ClickHouse (migrate) → Redis (portrait scripts, run lock,
 *   alert outbox) → BullMQ job scheduler and worker → /metrics and /healthz; SIGTERM: finish the run in hand, close.
 * A snapshot's stage changes fire the rules' `stage` alerts (e.g. an A customer turned dormant) through the same
 * outbox and queue as the ingest workers' alerts: once per change, retried, never lost.
 * After each snapshot, month partitions older than ROLLUP_RETENTION_MONTHS are dropped (orders and refunds kept).
 * `pnpm rollup --as-of …` takes a snapshot for an explicit time with the same code (./snapshot.ts).
 */
import { readFileSync } from 'node:fs';
import { applyRetention, rollupSettingsFromConfig } from '@leadscore/analytics';
import { createClickHouse, migrate, serverExecutor } from '@leadscore/clickhouse';
import { ConfigError, EXIT_CONFIG, loadConfigOrExit } from '@leadscore/config';
import { ROLLUPS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { handleShutdown, startMetricsServer } from '@leadscore/lifecycle';
import { createLogger } from '@leadscore/log';
import { definePortraitScripts } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { createRollupsMetrics } from './metrics.ts';
import { createRunLock } from './run-lock.ts';
import { startSchedule } from './schedule.ts';
import { takeSnapshot } from './snapshot.ts';
import { connectStageAlerts } from './stage-alerts.ts';

const config = loadConfigOrExit('rollups');
const log = createLogger({ service: 'rollups', level: config.logLevel, namespace: config.namespace });
const settings = (() => {
  try {
    return rollupSettingsFromConfig(config, (path) => readFileSync(path, 'utf8'));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`rollups: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
})();

const clickhouse = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 3_600_000 });
const exec = serverExecutor(clickhouse);
await migrate(exec, config.clickhouse);

const redis = createRedis(config.redis.url, { connectionName: 'rollups', onError: (err) => log.warn({ err: err.message }, 'redis connection error') });
const scripts = definePortraitScripts(redis);
const metrics = createRollupsMetrics();
const stageAlerts = await (async () => {
  try {
    return await connectStageAlerts(config, { redis, scripts, log });
  } catch (err) {
    // An invalid rules file stops start-up, naming the bad entries, as it does the ingest workers'.
    process.stderr.write(`rollups: ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
})();
// Held well beyond a run's usual length and extended while it lasts; a worker that dies frees it within this.
const lock = createRunLock(redis, `${config.namespace}:lock:rollup`, 60_000);

const schedule = await startSchedule({
  queueName: ROLLUPS_QUEUE,
  prefix: alertsQueuePrefix(config.namespace),
  connection: createRedis(config.redis.url, { connectionName: 'rollups-queue' }),
  workerConnection: createRedis(config.redis.url, { connectionName: 'rollups-worker' }),
  everyMs: config.rollups.everyMs,
  log,
  run: async (asOf) => {
    // A run waits its turn while another worker's lasts (a retry must not be dropped), up to an interval.
    const outcome = await lock.run(async () => {
      const snapshot = await takeSnapshot(
        {
          exec,
          database: config.clickhouse.database,
          settings,
          portraits: { redis, scripts, namespace: config.namespace, chunk: config.rollups.writeBackChunk },
          alerts: stageAlerts.alerts,
        },
        asOf,
      );
      // Retention after the snapshot, under the same lock: one worker at a time, and nothing a snapshot reads goes.
      const retention = await applyRetention(exec, config.clickhouse.database, config.rollups.retentionMonths, new Date());
      if (retention.steps.length > 0) log.info({ cutoff: retention.cutoff, steps: retention.steps, rowsRemoved: retention.rowsRemoved }, 'old month partitions dropped (orders and refunds kept)');
      return snapshot;
    }, config.rollups.everyMs);
    if (!outcome.ran) return { published: false, reason: 'another worker is taking a snapshot' };
    const { rollup, writeBack, alerts } = outcome.value;
    const s = rollup.summary;
    metrics.lastSnapshot.set(s.asOf.getTime() / 1000);
    metrics.lastDuration.set(rollup.ms / 1000);
    metrics.lastWriteBack.set((writeBack?.ms ?? 0) / 1000);
    metrics.rows.set({ table: 'leads' }, s.leads);
    metrics.rows.set({ table: 'companies' }, s.companies);
    log.info(
      { asOf: s.asOf, leads: s.leads, buyers: s.buyers, companies: s.companies, rollupMs: Math.round(rollup.ms), writeBackMs: Math.round(writeBack?.ms ?? 0), writeBack, stageAlerts: alerts },
      'rollup snapshot published and written back',
    );
    return { published: true, asOf: s.asOf };
  },
  onOutcome: (outcome) => metrics.runs.inc({ outcome }),
});

const metricsServer = await startMetricsServer(metrics.registry, '0.0.0.0', config.rollups.metricsPort);
handleShutdown(log, [
  { name: 'schedule (finishes the run in hand)', run: () => schedule.close(), timeoutMs: 600_000 },
  { name: 'metrics server', run: () => new Promise<void>((resolve) => metricsServer.close(() => resolve())) },
  { name: 'stage alerts (rules watcher, alerts queue)', run: () => stageAlerts.close() },
  { name: 'redis', run: async () => void (await redis.quit()) },
  { name: 'clickhouse', run: () => clickhouse.close() },
]);
log.info({ everyMs: config.rollups.everyMs, database: config.clickhouse.database, metricsPort: (metricsServer.address() as { port: number }).port }, 'rollups worker running');
