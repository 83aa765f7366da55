/**
 * `pnpm migrate`: brings the ClickHouse database of this deployment (CLICKHOUSE_DATABASE, else NAMESPACE) up to date
 * with packages/clickhouse/migrations. Safe to run again; run by every service's start-up too.
 */
import { createClickHouse, migrate, serverExecutor } from '@leadscore/clickhouse';
import { loadConfigOrExit } from '@leadscore/config';
import { createLogger } from '@leadscore/log';

const config = loadConfigOrExit('migrate');
const log = createLogger({ service: 'migrate', level: config.logLevel, namespace: config.namespace });
const client = createClickHouse(config.clickhouse);
try {
  const result = await migrate(serverExecutor(client), config.clickhouse, undefined, (m) =>
    log.info({ version: m.version, name: m.name }, 'migration applied'),
  );
  log.info({ database: config.clickhouse.database, applied: result.applied.length, alreadyApplied: result.alreadyApplied.length }, 'database up to date');
} catch (err) {
  log.fatal({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await client.close();
}
