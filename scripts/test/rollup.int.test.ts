import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql } from '@leadscore/clickhouse';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { insertEvents, order, page } from '../../packages/analytics/test/fixture.ts';

/** `pnpm rollup` as a person runs it: against the deployment's database, with progress, a summary and exit codes. */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const s = services();
const client = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
const namespace = testNamespace('rollup_cli');
const env = { ...process.env, NAMESPACE: namespace, CLICKHOUSE_URL: s.clickhouseUrl, REDIS_URL: s.redisUrl, ROLLUP_RATES: 'EUR=1.1', LOG_LEVEL: 'warn' };
const rollup = (...args: string[]) => run(`${ROOT}node_modules/.bin/tsx`, ['scripts/rollup.ts', ...args], { cwd: ROOT, env });

beforeAll(async () => {
  const exec = serverExecutor(client);
  await migrate(exec, { database: namespace });
  await insertEvents(exec, namespace, [order('u:ann', '2026-06-01T10:00:00Z', 100, 'EUR'), order('u:bob', '2026-06-02T10:00:00Z', 9, 'JPY'), page('u:cy', '2026-06-03T10:00:00Z')]);
});
afterAll(async () => {
  assertTestNamespace(namespace);
  await client.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(namespace)}` });
  await client.close();
});

describe('pnpm rollup', () => {
  it('publishes a snapshot, showing each step and then what it counted and left out', async () => {
    const { stdout, stderr } = await rollup('--as-of', '2026-06-30T00:00:00Z');
    expect(stderr).toMatch(/\[9\/9\] empty the staging partitions/);
    expect(stdout).toContain(`snapshot 2026-06-30 00:00:00 UTC of ${namespace}`);
    expect(stdout).toContain('leads 3, buyers 1, orders counted 1, window net revenue 110 USD');
    expect(stdout).toContain('left out, no rate for JPY: 1 orders, 9 JPY (set ROLLUP_RATES)');
    const [row] = await (await client.query({ query: `SELECT lead_id, monetary FROM ${quoteIdentifier(namespace).text}.lead_rfm WHERE lead_id = 'u:ann'`, format: 'JSONEachRow' })).json();
    expect(row).toEqual({ lead_id: 'u:ann', monetary: 110 });
  });

  it('refuses a reference time that is not a time, saying what it expects', async () => {
    await expect(rollup('--as-of', 'last tuesday')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('is not a time (expected ISO 8601') });
  });

  it('stops on a bad rollup variable, naming it', async () => {
    const bad = run(`${ROOT}node_modules/.bin/tsx`, ['scripts/rollup.ts'], { cwd: ROOT, env: { ...env, ROLLUP_ABC_SHARES: '90,20' } });
    await expect(bad).rejects.toMatchObject({ code: 78, stderr: expect.stringContaining('ROLLUP_ABC_SHARES') });
  });
});
