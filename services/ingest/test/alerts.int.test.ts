import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackedEvent } from '@leadscore/events';
import { createRedis } from '@leadscore/redis';
import { dateOfDay, localDay } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { ALERTS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '../src/alert-outbox.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

const ZONE = 'Asia/Shanghai';
const DAY = 86_400_000;
const now = Date.now();
const today = localDay(now, ZONE);
/** Midnight of a local day in Shanghai (UTC+8, no DST), as a UTC time. */
const shanghaiMidnight = (day: number) => day * DAY - 8 * 3_600_000;

let world: IngestWorld;
let worker: Worker;
let queue: Queue;
const produced: TrackedEvent[] = [];
let n = 0;

function pricing(userId: string, at: number): TrackedEvent {
  const event = tracked({ type: 'page', userId, name: 'Pricing', messageId: `al-${++n}`, timestamp: new Date(at).toISOString(), context: { page: { path: '/pricing' } } });
  produced.push(event);
  return event;
}

async function jobs(lead: string, rule = 'pricing-streak'): Promise<HotLeadJob[]> {
  const all = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  return all.map((j) => j.data as HotLeadJob).filter((j) => j.lead === lead && j.rule === rule);
}

beforeAll(async () => {
  world = await ingestWorld(services(), 'alerts');
  Object.assign(world.env, { TIME_ZONE: ZONE });
  worker = await world.startWorker();
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl), prefix: alertsQueuePrefix(world.ns) });
  const recent = now - 60_000;
  await world.produce([
    // Three consecutive local days, the last today.
    pricing('three-days', shanghaiMidnight(today - 2) + 10 * 3_600_000),
    pricing('three-days', shanghaiMidnight(today - 1) + 10 * 3_600_000),
    pricing('three-days', recent),
    // Two days only.
    pricing('two-days', shanghaiMidnight(today - 1) + 10 * 3_600_000),
    pricing('two-days', recent),
    // Three days, not consecutive.
    pricing('gaps', shanghaiMidnight(today - 4) + 10 * 3_600_000),
    pricing('gaps', shanghaiMidnight(today - 2) + 10 * 3_600_000),
    pricing('gaps', recent),
    // Consecutive in Shanghai (00:30, 23:30, today) but not in UTC, where the first two fall two days apart.
    pricing('zone', shanghaiMidnight(localDay(recent, ZONE) - 2) + 0.5 * 3_600_000),
    pricing('zone', shanghaiMidnight(localDay(recent, ZONE) - 1) + 23.5 * 3_600_000),
    pricing('zone', recent),
    // Last year's history, backfilled: a full streak, but not a current one.
    pricing('backfill', now - 400 * DAY),
    pricing('backfill', now - 399 * DAY),
    pricing('backfill', now - 398 * DAY),
  ]);
  await world.caughtUp();
}, 120_000);

afterAll(async () => {
  await queue?.close();
  await worker?.stop();
  await world?.close();
});

describe('hot-lead detection: the pricing page on consecutive days', () => {
  it('yields exactly one job for three consecutive local days, with the reason attached', async () => {
    const [job, ...more] = await jobs('u:three-days');
    expect(more).toEqual([]);
    expect(job).toMatchObject({
      rule: 'pricing-streak',
      kind: 'streak',
      action: 'call today',
      evidence: { consecutiveDays: 3, timeZone: ZONE, days: [dateOfDay(today - 2), dateOfDay(today - 1), dateOfDay(today)] },
    });
  });

  it('yields none for two days', async () => {
    expect(await jobs('u:two-days')).toEqual([]);
  });

  it('yields none for three days that are not consecutive', async () => {
    expect(await jobs('u:gaps')).toEqual([]);
  });

  it('judges consecutive days in the configured zone, not in UTC', async () => {
    const utcDays = new Set(produced.filter((e) => e.userId === 'zone').map((e) => localDay(Date.parse(e.timestamp), 'UTC')));
    expect([...utcDays].sort().some((d, i, all) => i > 0 && d - (all[i - 1] as number) > 1)).toBe(true);
    expect(await jobs('u:zone')).toHaveLength(1);
  });

  it('alerts nobody for a backfill of last year\'s streak', async () => {
    expect(await jobs('u:backfill')).toEqual([]);
  });

  it('enqueues no second job when every event is replayed', async () => {
    await world.produce(produced);
    await world.caughtUp();
    expect(await jobs('u:three-days')).toHaveLength(1);
    expect(await jobs('u:zone')).toHaveLength(1);
  });
});
