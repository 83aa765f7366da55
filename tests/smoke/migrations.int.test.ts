import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticQueries, createClickHouse, migrate, quoteIdentifier, readMigrations, serverExecutor, sql, type SqlExecutor } from '@leadscore/clickhouse';
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

    it('runs every analytic query of the project on the migrated schema', async () => {
      const db = newDatabase();
      await migrate(exec(), { database: db });
      await exec().command(
        `INSERT INTO ${quoteIdentifier(db).text}.events (message_id, type, event, user_id, anonymous_id, timestamp, received_at) VALUES ('m1', 'page', 'Pricing', '', 'v1', '2026-11-01 09:00:00', '2026-11-01 09:00:01'), ('m2', 'identify', '', 'ann', 'v1', '2026-11-02 09:00:00', '2026-11-02 09:00:01')`,
      );
      await exec().command(`INSERT INTO ${quoteIdentifier(db).text}.identity_links (profile, lead, reason, message_id, linked_at) VALUES ('a:v1', 'u:ann', 'identify', 'm2', '2026-11-02 09:00:00')`);
      for (const [name, query] of Object.entries(analyticQueries)) {
        await expect(exec().rows(query(db)), name).resolves.toBeDefined();
      }
      const [ann] = await exec().rows<{ lead: string; events: string; page_views: string }>(analyticQueries.activity_by_lead!(db));
      expect(ann).toMatchObject({ lead: 'u:ann', events: '2', page_views: '1' });
    });

    it('refuses to go on when an applied migration was edited', async () => {
      const db = newDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
      writeFileSync(join(dir, '0001_things.sql'), 'CREATE TABLE IF NOT EXISTS {{db}}.things (id String) ENGINE = {{engine:things:MergeTree()}} ORDER BY id;\n');
      await migrate(exec(), { database: db }, readMigrations(dir));
      writeFileSync(join(dir, '0001_things.sql'), 'CREATE TABLE IF NOT EXISTS {{db}}.things (id String, x UInt8) ENGINE = {{engine:things:MergeTree()}} ORDER BY id;\n');
      await expect(migrate(exec(), { database: db }, readMigrations(dir))).rejects.toThrow(/0001_things was applied .* checksum/);
    });

    it('applies a migration that adds columns again after a crash before it was recorded, skipping the columns there', async () => {
      const db = newDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
      writeFileSync(join(dir, '0001_things.sql'), 'CREATE TABLE IF NOT EXISTS {{db}}.things (id String, at DateTime) ENGINE = {{engine:things:MergeTree()}} ORDER BY id;\n');
      writeFileSync(join(dir, '0002_more.sql'), 'ALTER TABLE {{db}}.things {{on_cluster}} ADD COLUMN at_ms UInt64 DEFAULT toUInt64(toUInt32(at)) * 1000 AFTER at;\nALTER TABLE {{db}}.things {{on_cluster}} ADD COLUMN note String DEFAULT \'\';\n');
      await migrate(exec(), { database: db }, readMigrations(dir));
      // The crash: the columns are there, the record of 0002 is not.
      await exec().command(`ALTER TABLE ${quoteIdentifier(db).text}.schema_migrations DELETE WHERE version = 2`);
      await expect.poll(async () => (await exec().rows<{ n: string }>(`SELECT count() AS n FROM ${quoteIdentifier(db).text}.schema_migrations WHERE version = 2`))[0]?.n).toBe('0');
      const again = await migrate(exec(), { database: db }, readMigrations(dir));
      expect(again.applied.map((m) => m.name)).toEqual(['more']);
      await exec().command(`INSERT INTO ${quoteIdentifier(db).text}.things (id, at) VALUES ('a', '2026-11-01 09:00:00')`);
      expect(await exec().rows(`SELECT at_ms, note FROM ${quoteIdentifier(db).text}.things`)).toEqual([{ at_ms: String(Date.parse('2026-11-01T09:00:00Z')), note: '' }]);
    });

    it('lets two services migrate one database at once (both may find a column missing and add it)', async () => {
      const db = newDatabase();
      const results = await Promise.all([migrate(exec(), { database: db }), migrate(exec(), { database: db }), migrate(exec(), { database: db })]);
      expect(results.every((r) => r.applied.length + r.alreadyApplied.length === readMigrations().length)).toBe(true);
    });

    it('names the migration and the engine when a statement fails', async () => {
      const db = newDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
      writeFileSync(join(dir, '0001_broken.sql'), 'CREATE TABLE {{db}}.broken (id NoSuchType) ENGINE = MergeTree() ORDER BY id;\n');
      await expect(migrate(exec(), { database: db }, readMigrations(dir))).rejects.toThrow(/migration 0001_broken failed on (clickhouse|chdb)/);
    });
  });
}
