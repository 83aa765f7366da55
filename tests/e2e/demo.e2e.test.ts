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
    expect(stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard\/ +\(log in with the token demo_[0-9a-f]{24}/);
    expect(stdout).toMatch(/clickhouse-client .*--database demo_/);
    // The analysts' snapshot: the grid, the stages and classes, the top A companies, and the billing history's
    // customers in the stages the simulator made them.
    expect(stdout).toMatch(/== the analysts' snapshot/);
    expect(stdout).toMatch(/written back to [1-9]\d* lead and [1-9]\d* company portraits/);
    expect(stdout).toMatch(/lifecycle: (?=.*active \d)(?=.*churned \d)(?=.*dormant \d)(?=.*new \d)(?=.*prospect \d)/);
    expect(stdout).toMatch(/ABC: A \d+, B \d+, C \d+/);
    expect(stdout).toMatch(/ {8}F1 {3}F2 {3}F3 {3}F4 {3}F5\n {4}R5/);
    expect(stdout).toMatch(/top A companies:\n {4}acct_\S+ +[\d,]+ USD/);
    expect(stdout).toMatch(/billing history stages expected (\d+), matched \1: the same/);
    expect(stdout).toMatch(/clickhouse-client --user analyst --database demo_\S+ --query "SELECT rfm_segment/);
  });
});
