import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouse, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { createRedis } from '@leadscore/redis';
import { freePort } from '@leadscore/tests/support/free-port.ts';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';

/** The rollups worker as deployed: its own process, a snapshot per interval, /healthz and /metrics saying how it went. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const s = services();
const ns = testNamespace('rollups_main');
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  assertTestNamespace(ns);
  const clickhouse = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
  await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
  await clickhouse.close();
  const redis = createRedis(s.redisUrl, { connectionName: 'test-rollups-main' });
  const keys = await redis.keys(`*${ns}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('services/rollups', () => {
  it('takes snapshots on its schedule and reports the last one on /metrics, healthy on /healthz; SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    child = spawn(`${ROOT}node_modules/.bin/tsx`, ['services/rollups/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, NAMESPACE: ns, REDIS_URL: s.redisUrl, CLICKHOUSE_URL: s.clickhouseUrl, ROLLUP_EVERY_MINUTES: '0.05', ROLLUPS_METRICS_PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 60_000;
    let metrics = '';
    while (!/rollup_last_snapshot_seconds [1-9]/.test(metrics)) {
      if (Date.now() > deadline) throw new Error(`no snapshot reported on /metrics within 60 s:\n${metrics.slice(0, 500)}`);
      metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(metrics).toMatch(/rollup_runs_total\{outcome="published"\} [1-9]/);
    expect(metrics).toMatch(/rollup_last_duration_seconds \d/);
    expect(metrics).toMatch(/rollup_last_rows\{table="leads"\} 0/);
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)).toBe(200);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
