import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { services } from '../support/services.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The benchmarks are commands, not timed tests: this runs their short version to see they still work end to end. */
describe('pnpm bench --quick', () => {
  it('runs every part, checks the ingest result at 1 and 2 workers, and ends with the key=value line', { timeout: 360_000 }, async () => {
    const s = services();
    const { stdout } = await promisify(execFile)(`${ROOT}node_modules/.bin/tsx`, ['scripts/bench/all.ts', '--quick'], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: s.kafkaBrokers.join(','), REDIS_URL: s.redisUrl, CLICKHOUSE_URL: s.clickhouseUrl },
      timeout: 330_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    expect(stdout).toMatch(/portraits and identity conflicts the same at every worker count/);
    const last = stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last).toMatch(/^events_per_s=\d+ baseline_events_per_s=\d+ ratio=[\d.]+ p50_ms=[\d.]+ p99_ms=[\d.]+ alert_p50_ms=[\d.]+ alert_p99_ms=[\d.]+ workers=1 /);
    expect(last).toMatch(/ clickhouse_inserts_per_s=[\d.]+ merge_amplification=[\d.]+ /);
    for (const pace of [10, 300, 3000]) expect(last).toMatch(new RegExp(` clickhouse_inserts_per_s_${pace}=[\\d.]+ merge_amplification_${pace}=[\\d.]+ `));
    expect(last).toMatch(/ lean_events_per_s=\d+ ratio_lean=[\d.]+ /);
    expect(last).toMatch(/ alerts_e2e_p50_ms=[\d.]+ alerts_e2e_p99_ms=[\d.]+ /);
    expect(last).toMatch(/ events_per_s_2_workers=\d+ /);
    expect(last).toMatch(/ redis_evalsha_per_s=\d+ /);
    expect(last).toMatch(/ rollups_events=\d+ rollups_leads=10000 rollups_buyers=\d+ rollups_rollup_s=[\d.]+ rollups_scan_s=[\d.]+ rollups_ratio=[\d.]+ /);
  });
});
