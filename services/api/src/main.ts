/**
 * The sales and integration API, and the dashboard it serves: who to call now, and why, over HTTP (bearer tokens
 * with scopes).
 *   config → logger → Redis → scoring rules (for evaluating portraits) → the API's parts (compose.ts) → ranking
 *   sweeps (and the changes webhook) → HTTP app (routes, live stream, dashboard files) → listen;
 *   SIGTERM: stop taking requests, stop sweeping, close the stores.
 */
import { EXIT_CONFIG, loadConfigOrExit } from '@leadscore/config';
import { handleShutdown } from '@leadscore/lifecycle';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { rulesSource } from '@leadscore/rules-source';
import { buildApi } from './app.ts';
import { createChangesWebhook } from './changes-webhook.ts';
import { composeApi } from './compose.ts';

const config = loadConfigOrExit('api');
const log = createLogger({ service: 'api', level: config.logLevel, namespace: config.namespace });
const redis = createRedis(config.redis.url, { connectionName: 'api', onError: (err) => log.warn({ err: err.message }, 'redis connection error') });
const rules = (() => {
  try {
    return rulesSource(config.ingest.rulesFile, log, config.money);
  } catch (err) {
    process.stderr.write(`api: ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
})();

const api = composeApi({
  redisUrl: config.redis.url,
  redis,
  clickhouse: config.clickhouse,
  namespace: config.namespace,
  database: config.clickhouse.database,
  rules: rules.current,
  rankingSweepMs: config.api.rankingSweepMs,
  kafka: { brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-api` },
  log,
});

// The hot list's ranking, swept every API_RANKING_SWEEP_SECONDS by whichever instance takes the interval's lock; the
// changes it finds are pushed to a CRM by the instance that swept.
const webhook = config.api.changesWebhook ? createChangesWebhook({ redis, namespace: config.namespace, ...config.api.changesWebhook, log }) : undefined;
const sweep = () =>
  api.ranking.sweep().then(
    async (r) => {
      if (!r.swept) return;
      log.info({ version: r.version, leads: r.leads, changes: r.changes, ms: Math.round(r.ms) }, 'ranking swept');
      if (webhook) log.info({ delivered: await webhook.push() }, 'changes pushed');
    },
    (err: Error) => log.error({ err }, 'ranking sweep failed; the previous ranking stays'),
  );
void sweep();
const sweeper = setInterval(sweep, config.api.rankingSweepMs);

const app = await buildApi({ tokens: config.api.tokens, version: '0.1.0' }, api.deps);

handleShutdown(log, [
  { name: 'http server', run: () => app.close() },
  { name: 'ranking sweep', run: () => clearInterval(sweeper) },
  { name: 'rules watcher', run: () => rules.close() },
  { name: 'stores', run: () => api.close() },
  { name: 'redis', run: async () => void (await redis.quit()) },
]);
const address = await app.listen({ host: config.api.host, port: config.api.port });
log.info({ address, dashboard: `${address}/dashboard/`, tokens: config.api.tokens.map((t) => ({ name: t.name, scopes: t.scopes })) }, 'api listening');
