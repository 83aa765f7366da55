import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, migrate, quoteIdentifier, readMigrations, serverExecutor, sql, type SqlExecutor } from '@leadscore/clickhouse';
import { chdbExecutor } from '../support/chdb.ts';
import { assertTestNamespace, testNamespace } from '../support/namespace.ts';
import { services } from '../support/services.ts';

let client: ClickHouseClient;
let chdb: ReturnType<typeof chdbExecutor>;
const databases: string[] = [];

beforeAll(() => {
  const s = services();
  client = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
  chdb = chdbExecutor();
});

afterAll(async () => {
  for (const db of databases) {
    assertTestNamespace(db);
    await client.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(db)}` });
  }
  await client.close();
  chdb.close();
});

function newDatabase(): string {
  const db = testNamespace('migrations');
  databases.push(db);
  return db;
}

const engines: Record<string, () => SqlExecutor> = {
  'ClickHouse server (18.16 here)': () => serverExecutor(client),
  'current ClickHouse (chdb)': () => chdb,
};

for (const [engine, exec] of Object.entries(engines)) {
  describe(`migrations on ${engine}`, () => {
    it('applies every project migration, then nothing on a second run', async () => {
      const db = newDatabase();
      const first = await migrate(exec(), { database: db });
      expect(first.applied.length).toBe(readMigrations().length);
      const second = await migrate(exec(), { database: db });
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied.length).toBe(readMigrations().length);
    });

    it('refuses to go on when an applied migration was edited', async () => {
      const db = newDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
      writeFileSync(join(dir, '0001_things.sql'), 'CREATE TABLE IF NOT EXISTS {{db}}.things (id String) ENGINE = {{engine:things:MergeTree()}} ORDER BY id;\n');
      await migrate(exec(), { database: db }, readMigrations(dir));
      writeFileSync(join(dir, '0001_things.sql'), 'CREATE TABLE IF NOT EXISTS {{db}}.things (id String, x UInt8) ENGINE = {{engine:things:MergeTree()}} ORDER BY id;\n');
      await expect(migrate(exec(), { database: db }, readMigrations(dir))).rejects.toThrow(/0001_things was applied .* checksum/);
    });

    it('names the migration and the engine when a statement fails', async () => {
      const db = newDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
      writeFileSync(join(dir, '0001_broken.sql'), 'CREATE TABLE {{db}}.broken (id NoSuchType) ENGINE = MergeTree() ORDER BY id;\n');
      await expect(migrate(exec(), { database: db }, readMigrations(dir))).rejects.toThrow(/migration 0001_broken failed on (clickhouse|chdb)/);
    });
  });
}
