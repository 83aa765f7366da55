/**
 * The sales and integration API: who to call now, and why, over HTTP (bearer tokens with scopes).
 *   config → logger → ClickHouse → Redis → scoring rules (for evaluating portraits) → HTTP app → listen;
 *   SIGTERM: stop taking requests, close.
 */
import { createClickHouse, serverExecutor } from '@leadscore/clickhouse';
import { EXIT_CONFIG, loadConfigOrExit } from '@leadscore/config';
import { handleShutdown } from '@leadscore/lifecycle';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { rulesSource } from '@leadscore/rules-source';
import { buildApi } from './app.ts';
import { createApiMetrics } from './metrics.ts';
import { createRanking } from './ranking.ts';
import { createAlertsView } from './alerts-view.ts';
import { createChangesWebhook } from './changes-webhook.ts';
import { eraseLead } from './erasure.ts';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { Queue } from 'bullmq';

const config = loadConfigOrExit('api');
const log = createLogger({ service: 'api', level: config.logLevel, namespace: config.namespace });
const clickhouse = createClickHouse(config.clickhouse);
const exec = serverExecutor(clickhouse);
const redis = createRedis(config.redis.url, { connectionName: 'api', onError: (err) => log.warn({ err: err.message }, 'redis connection error') });
const rules = (() => {
  try {
    return rulesSource(config.ingest.rulesFile, log, config.money);
  } catch (err) {
    process.stderr.write(`api: ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
})();

// The hot list's ranking, swept every API_RANKING_SWEEP_SECONDS by whichever instance takes the interval's lock.
const ranking = createRanking({ redis, namespace: config.namespace, rules: rules.current, everyMs: config.api.rankingSweepMs });
// The changes feed pushed to a CRM after each sweep, by the instance that swept.
const webhook = config.api.changesWebhook ? createChangesWebhook({ redis, namespace: config.namespace, ...config.api.changesWebhook, log }) : undefined;
const sweep = () =>
  ranking.sweep().then(
    async (r) => {
      if (!r.swept) return;
      log.info({ version: r.version, leads: r.leads, changes: r.changes, ms: Math.round(r.ms) }, 'ranking swept');
      if (webhook) log.info({ delivered: await webhook.push() }, 'changes pushed');
    },
    (err: Error) => log.error({ err }, 'ranking sweep failed; the previous ranking stays'),
  );
void sweep();
const sweeper = setInterval(sweep, config.api.rankingSweepMs);

const alertsQueue = new Queue(ALERTS_QUEUE, { connection: createRedis(config.redis.url, { connectionName: 'api-alerts' }), prefix: alertsQueuePrefix(config.namespace) });
const alerts = createAlertsView({ queue: alertsQueue, redis, exec, database: config.clickhouse.database, namespace: config.namespace });

const app = await buildApi(
  { tokens: config.api.tokens, version: '0.1.0' },
  {
    log,
    metrics: createApiMetrics(),
    redis,
    exec,
    database: config.clickhouse.database,
    namespace: config.namespace,
    rules: rules.current,
    ranking,
    alerts,
    erase: (id) => eraseLead({ redis, exec, database: config.clickhouse.database, namespace: config.namespace, queue: alertsQueue }, id),
    ready: async () => {
      try {
        await redis.ping();
        return (await clickhouse.ping()).success;
      } catch {
        return false;
      }
    },
  },
);

handleShutdown(log, [
  { name: 'http server', run: () => app.close() },
  { name: 'ranking sweep', run: () => clearInterval(sweeper) },
  { name: 'rules watcher', run: () => rules.close() },
  { name: 'alerts queue', run: () => alertsQueue.close() },
  { name: 'redis', run: async () => void (await redis.quit()) },
  { name: 'clickhouse', run: () => clickhouse.close() },
]);
const address = await app.listen({ host: config.api.host, port: config.api.port });
log.info({ address, tokens: config.api.tokens.map((t) => ({ name: t.name, scopes: t.scopes })) }, 'api listening');
