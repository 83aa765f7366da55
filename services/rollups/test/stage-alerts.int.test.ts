import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupSettings } from '@leadscore/analytics';
import { loadConfig } from '@leadscore/config';
import { ALERTS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { createLogger } from '@leadscore/log';
import { definePortraitScripts, encodeState, profileKeys } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { insertEvents, order } from '../../../packages/analytics/test/fixture.ts';
import { takeSnapshot } from '../src/snapshot.ts';
import { connectStageAlerts } from '../src/stage-alerts.ts';
import { rollupsWorld } from './world.ts';

/**
 * A snapshot's stage changes reach sales through the rules: the default "an A customer turned dormant" fires once for
 * the A customer, not for a C customer who lapsed the same way, and not again when the snapshot is taken again.
 */
const world = await rollupsWorld('stage_alerts');
const { ns, exec, redis, services: s } = world;
const scripts = definePortraitScripts(redis);
const queue = new Queue(ALERTS_QUEUE, { connection: createRedis(s.redisUrl, { connectionName: 'test-stage-alerts-queue' }), prefix: alertsQueuePrefix(ns) });
const log = createLogger({ service: 'test-rollups', level: 'silent', namespace: ns });
let stageAlerts: Awaited<ReturnType<typeof connectStageAlerts>>;
const [MARCH, JUNE] = [new Date('2026-03-01T00:00:00Z'), new Date('2026-06-30T00:00:00Z')];

const snapshot = (asOf: Date) =>
  takeSnapshot(
    {
      exec,
      database: ns,
      settings: rollupSettings(),
      portraits: { redis, scripts, namespace: ns, chunk: 100 },
      alerts: { ...stageAlerts.alerts, now: () => asOf.getTime() + 3_600_000 },
    },
    asOf,
  );
const jobs = async () => (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'])).map((j) => j.data as HotLeadJob);

beforeAll(async () => {
  // ann: 1000 in June and in December 2025 (active in March, dormant by the end of June, the larger buyer: A);
  // bob: 10 at Christmas (new in March, dormant in June, class C).
  await insertEvents(exec, ns, [order('u:ann', '2025-06-01T10:00:00Z', 1000), order('u:ann', '2025-12-20T10:00:00Z', 1000), order('u:bob', '2025-12-25T10:00:00Z', 10)]);
  for (const lead of ['u:ann', 'u:bob']) await redis.hset(profileKeys(ns, lead).state, encodeState({ firstSeen: Date.parse('2025-06-01T10:00:00Z') }));
  stageAlerts = await connectStageAlerts(loadConfig({ NAMESPACE: ns, REDIS_URL: s.redisUrl }), { redis, scripts, log });
});
afterAll(async () => {
  await stageAlerts?.close();
  await queue.close();
  await world.close();
});

describe('stage alerts from a snapshot', () => {
  it('tells sales once that an A customer turned dormant, with the reason', async () => {
    expect((await snapshot(MARCH)).alerts).toBe(0);
    expect((await snapshot(JUNE)).alerts).toBe(1);
    expect(await jobs()).toEqual([
      expect.objectContaining({
        lead: 'u:ann',
        rule: 'a-customer-dormant',
        kind: 'stage',
        window: String(JUNE.getTime()),
        action: 'an A customer turned dormant: the account manager calls',
        evidence: expect.objectContaining({ from: 'active', to: 'dormant', abcClass: 'A' }),
        messageId: `rollup:${JUNE.getTime()}`,
      }),
    ]);
  });

  it('fires nothing more when the same snapshot is taken again', async () => {
    expect((await snapshot(JUNE)).alerts).toBe(0);
    expect((await jobs()).length).toBe(1);
  });
});
