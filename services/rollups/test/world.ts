import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql } from '@leadscore/clickhouse';
import { createRedis } from '@leadscore/redis';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';

/**
 * A rollups test file's own namespace: a migrated ClickHouse database and Redis keys of its own, and one call that
 * removes both (and closes the connections) at the end.
 */
export async function rollupsWorld(label: string) {
  const s = services();
  const ns = testNamespace(label);
  const clickhouse = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
  const exec = serverExecutor(clickhouse);
  const redis = createRedis(s.redisUrl, { connectionName: `test-${label}` });
  await migrate(exec, { database: ns });
  return {
    ns,
    services: s,
    exec,
    redis,
    async close() {
      assertTestNamespace(ns);
      await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
      const keys = await redis.keys(`*${ns}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await clickhouse.close();
    },
  };
}
