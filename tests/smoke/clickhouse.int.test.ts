import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql } from '@leadscore/clickhouse';
import { services } from '../support/services.ts';
import { assertTestNamespace, testNamespace } from '../support/namespace.ts';

const db = testNamespace('ch_smoke');
let client: ClickHouseClient;

beforeAll(async () => {
  const s = services();
  client = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
  await migrate(serverExecutor(client), { database: db });
});

afterAll(async () => {
  assertTestNamespace(db);
  await client.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(db)}` });
  await client.close();
});

describe('ClickHouse smoke', () => {
  it('creates a table, inserts rows with the client and selects them back', async () => {
    const table = sql`${quoteIdentifier(db)}.${quoteIdentifier('visits')}`;
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS ${table} (at DateTime, lead String, url String, weight Float64)
              ENGINE = MergeTree() PARTITION BY toYYYYMM(at) ORDER BY (lead, at)`,
    });
    await client.insert({
      table: `${db}.visits`,
      format: 'JSONEachRow',
      values: [
        { at: '2026-11-24T10:00:00Z', lead: 'u1', url: '/pricing', weight: 10 },
        { at: '2026-11-25 09:30:00', lead: 'u1', url: '/docs?q=\'x\'', weight: 2.5 },
        { at: 1764000000, lead: 'u2', url: '/', weight: 1 },
      ],
    });
    const rows = await (await client.query({ query: `SELECT lead, count() AS n, sum(weight) AS w FROM ${table} GROUP BY lead ORDER BY lead`, format: 'JSONEachRow' })).json();
    expect(rows).toEqual([
      { lead: 'u1', n: '2', w: 12.5 },
      { lead: 'u2', n: '1', w: 1 },
    ]);
  });

  it('reads DateTime in UTC whatever the input form', async () => {
    const rows = await (await client.query({ query: `SELECT toString(at) AS at FROM ${db}.visits WHERE lead = 'u1' ORDER BY at`, format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ at: '2026-11-24 10:00:00' }, { at: '2026-11-25 09:30:00' }]);
  });
});
