import { afterAll, describe, expect, it } from 'vitest';
import { rollupSettings } from '@leadscore/analytics';
import { ROLLUPS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { insertEvents, order } from '../../../packages/analytics/test/fixture.ts';
import { createRunLock } from '../src/run-lock.ts';
import { startSchedule, type RunOutcome } from '../src/schedule.ts';
import { takeSnapshot } from '../src/snapshot.ts';
import { rollupsWorld } from './world.ts';

/**
 * The schedule as two rollups workers run it: one snapshot per interval whichever worker takes it, never two at once,
 * and a failed run retried (for the same reference time) and reported.
 */
const world = await rollupsWorld('rollup_schedule');
const { ns, exec, redis, services: s } = world;
const log = createLogger({ service: 'test-rollups', level: 'silent', namespace: ns });
const closers: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const close of closers) await close();
  await world.close();
});

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the rollups schedule with two workers', () => {
  it('publishes one snapshot per interval, one at a time, and retries a failed run for the same reference time', async () => {
    await insertEvents(exec, ns, [order('u:ann', '2026-05-20T10:00:00Z', 500)]);
    const lock = createRunLock(redis, `${ns}:lock:rollup`, 10_000);
    const published: number[] = [];
    const failedAt: number[] = [];
    const outcomes: string[] = [];
    let running = 0;
    let mostAtOnce = 0;
    let calls = 0;
    const run = async (asOf: Date): Promise<RunOutcome> => {
      calls += 1;
      const attempt = calls;
      const outcome = await lock.run(async () => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        try {
          if (attempt === 1) throw new Error('ClickHouse went away');
          await takeSnapshot({ exec, database: ns, settings: rollupSettings() }, asOf);
        } finally {
          running -= 1;
        }
      }, 1_000).catch((err: Error) => {
        failedAt.push(asOf.getTime());
        throw err;
      });
      if (!outcome.ran) return { published: false, reason: 'another worker is taking a snapshot' };
      published.push(asOf.getTime());
      return { published: true, asOf };
    };
    for (const name of ['one', 'two']) {
      const schedule = await startSchedule({
        queueName: ROLLUPS_QUEUE,
        prefix: alertsQueuePrefix(ns),
        connection: createRedis(s.redisUrl, { connectionName: `test-${name}-queue` }),
        workerConnection: createRedis(s.redisUrl, { connectionName: `test-${name}-worker` }),
        everyMs: 1_000,
        attempts: 3,
        log,
        run,
        onOutcome: (outcome) => outcomes.push(outcome),
      });
      closers.push(() => schedule.close());
    }
    await until('four snapshots', () => published.length >= 4);
    expect(mostAtOnce).toBe(1);
    expect(outcomes).toContain('failed');
    // The failed run was retried for its own reference time, and every other interval gave exactly one snapshot.
    expect(published).toContain(failedAt[0]);
    expect(new Set(published).size).toBe(published.length);
    const [runs] = await exec.rows<{ n: string }>(`SELECT count() AS n FROM \`${ns}\`.rollup_runs FINAL`);
    expect(Number(runs?.n)).toBe(published.length);
  });
});
