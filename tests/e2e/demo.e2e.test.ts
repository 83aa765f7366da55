import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { services } from '../support/services.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe("the README's main-job command", () => {
  it('backfills simulated history, sends live traffic, shows signed alerts and the summary, and exits 0 on its own', { timeout: 240_000 }, async () => {
    const s = services();
    const { stdout } = await promisify(execFile)(`${ROOT}node_modules/.bin/tsx`, ['scripts/demo.ts', '--companies', '4', '--clean'], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: s.kafkaBrokers.join(','), REDIS_URL: s.redisUrl, CLICKHOUSE_URL: s.clickhouseUrl },
      timeout: 200_000,
    });
    expect(stdout).toMatch(/ALERT \(signature verified\)/);
    expect(stdout).toMatch(/What now: call today/);
    expect(stdout).toMatch(/== summary/);
    expect(stdout).toMatch(/hot leads expected (\d+), alerted \1: the same/);
    expect(stdout).toMatch(/live traffic: 300 events through \/v1\/batch/);
    expect(stdout).toMatch(/clickhouse-client .*--database demo_/);
  });
});
