import type { Config } from '@leadscore/config';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import type { Logger } from '@leadscore/log';
import { createAlertOutbox, portraitLayout, type PortraitScripts } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { rulesSource } from '@leadscore/rules-source';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SnapshotDeps } from './snapshot.ts';

/**
 * What a snapshot needs to tell sales of the stage changes it brings: the scoring rules in force (RULES_FILE, as the
 * ingest workers read it), and the ingest workers' alert outbox and queue, so a stage alert is delivered like any
 * other: once, retried, never lost. Enqueues what a crash left pending before anything else.
 */
export async function connectStageAlerts(config: Config, deps: { readonly redis: Redis; readonly scripts: PortraitScripts; readonly log: Logger }) {
  const rules = rulesSource(config.ingest.rulesFile, deps.log, config.money);
  const connection = createRedis(config.redis.url, { connectionName: 'rollups-alerts' });
  const queue = new Queue(ALERTS_QUEUE, { connection, prefix: alertsQueuePrefix(config.namespace) });
  const layout = portraitLayout({ namespace: config.namespace, dedupWindowMs: config.ingest.dedupWindowMs, logCap: config.ingest.profileLogCap, visitorTtlMs: config.ingest.visitorTtlMs });
  const outbox = createAlertOutbox({
    layout: { ...layout, alertFields: [] },
    redis: deps.redis,
    scripts: deps.scripts,
    queue,
    log: deps.log,
    attempts: config.alerts.attempts,
    // As the ingest workers keep their markers: beyond any replay that could fire them again.
    markerRetentionMs: Math.max(config.ingest.dedupWindowMs, config.ingest.alertFreshnessMs) + 86_400_000,
  });
  await outbox.recover();
  const alerts: NonNullable<SnapshotDeps['alerts']> = { rules: rules.current, outbox, freshnessMs: config.ingest.alertFreshnessMs };
  return {
    alerts,
    async close() {
      rules.close();
      await queue.close();
      await connection.quit();
    },
  };
}
