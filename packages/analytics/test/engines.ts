import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql, type SqlExecutor } from '@leadscore/clickhouse';
import { chdbExecutor } from '@leadscore/tests/support/chdb.ts';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';

/**
 * The two engines every rollup statement must run on: the server here (ClickHouse 18.16) and current ClickHouse
 * embedded (chdb). Each test file gets fresh databases, dropped at the end.
 */
export function rollupEngines() {
  let client: ReturnType<typeof createClickHouse> | undefined;
  let chdb: ReturnType<typeof chdbExecutor> | undefined;
  const databases: { exec: () => SqlExecutor; db: string }[] = [];
  const engines = {
    'ClickHouse 18.16 server': () => {
      const s = services();
      client ??= createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword, requestTimeoutMs: 300_000 });
      return serverExecutor(client);
    },
    'current ClickHouse (chdb)': () => (chdb ??= chdbExecutor()),
  } as const;
  return {
    engines,
    /** A migrated database of its own on an engine. */
    async database(exec: SqlExecutor, label: string): Promise<string> {
      const db = testNamespace(label);
      databases.push({ exec: () => exec, db });
      await migrate(exec, { database: db });
      return db;
    },
    async close() {
      for (const { exec, db } of databases) {
        assertTestNamespace(db);
        await exec().command(sql`DROP DATABASE IF EXISTS ${quoteIdentifier(db)}`);
      }
      await client?.close();
      chdb?.close();
    },
  };
}
