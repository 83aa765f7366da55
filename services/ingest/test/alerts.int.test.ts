import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackedEvent } from '@leadscore/events';
import { createRedis } from '@leadscore/redis';
import { dateOfDay, localDay } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { ALERTS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
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

describe('buying-group signals', () => {
  const group: TrackedEvent[] = [];
  beforeAll(async () => {
    const recent = Date.now() - 3_600_000;
    const acme = { groupId: 'acme-bg' };
    group.push(
      tracked({ type: 'identify', userId: 'bg-ceo', messageId: 'bg-1', timestamp: new Date(recent - 60_000).toISOString(), traits: { title: 'CEO', budget: 200000 }, context: acme }),
      tracked({ type: 'identify', userId: 'bg-cto', messageId: 'bg-2', timestamp: new Date(recent - 60_000).toISOString(), traits: { title: 'CTO' }, context: acme }),
      tracked({ type: 'page', userId: 'bg-ceo', messageId: 'bg-3', timestamp: new Date(recent).toISOString(), context: { ...acme, page: { path: '/pricing' } } }),
      tracked({ type: 'page', userId: 'bg-cto', messageId: 'bg-4', timestamp: new Date(recent + 1000).toISOString(), context: { ...acme, page: { path: '/pricing' } } }),
    );
    await world.produce(group.slice(0, 2));
    await world.caughtUp();
    await world.produce(group.slice(2));
    await world.caughtUp();
  });

  it('fires once when people of several roles from one company are on pricing within a week', async () => {
    const [job, ...more] = await jobs('c:acme-bg', 'buying-group');
    expect(more).toEqual([]);
    expect(job).toMatchObject({ company: 'acme-bg', kind: 'buying_group', evidence: { roles: ['EB', 'TB'] } });
  });

  it('fires when the economic buyer is engaged', async () => {
    expect(await jobs('c:acme-bg', 'eb-engaged')).toHaveLength(1);
  });

  it('fires no second time on a replay', async () => {
    await world.produce(group);
    await world.caughtUp();
    expect(await jobs('c:acme-bg', 'buying-group')).toHaveLength(1);
    expect(await jobs('c:acme-bg', 'eb-engaged')).toHaveLength(1);
  });
});

describe('a visitor who identifies later', () => {
  it("has the pricing visits made as a visitor count toward the lead's streak", async () => {
    const at = (day: number) => new Date(shanghaiMidnight(day) + 11 * 3_600_000).toISOString();
    await world.produce([
      tracked({ type: 'page', anonymousId: 'v-streak', messageId: 'vs-1', timestamp: at(today - 2), context: { page: { path: '/pricing' } } }),
      tracked({ type: 'page', anonymousId: 'v-streak', messageId: 'vs-2', timestamp: at(today - 1), context: { page: { path: '/pricing' } } }),
    ]);
    await world.caughtUp();
    await world.produce([tracked({ type: 'identify', userId: 'streaker', anonymousId: 'v-streak', messageId: 'vs-3', timestamp: new Date(Date.now() - 120_000).toISOString() })]);
    await world.caughtUp();
    await world.produce([tracked({ type: 'page', userId: 'streaker', messageId: 'vs-4', timestamp: new Date(Date.now() - 60_000).toISOString(), context: { page: { path: '/pricing' } } })]);
    await world.caughtUp();
    expect(await jobs('u:streaker')).toMatchObject([{ evidence: { consecutiveDays: 3 } }]);
  });
});

describe('threshold and form rules', () => {
  it('fires "became hot" once when a demo request makes a lead hot, and the form rule for the form', async () => {
    const form = tracked({ type: 'track', userId: 'demo-lead', event: 'Form Submitted', messageId: 'tf-1', timestamp: new Date(Date.now() - 30_000).toISOString(), properties: { form_id: 'demo-request', email: 'demo@lead.example' } });
    const page = tracked({ type: 'page', userId: 'demo-lead', messageId: 'tf-2', timestamp: new Date(Date.now() - 20_000).toISOString(), context: { page: { path: '/docs' } } });
    await world.produce([form, page]);
    await world.caughtUp();
    await world.produce([form, page]);
    await world.caughtUp();
    expect(await jobs('u:demo-lead', 'became-hot')).toMatchObject([{ kind: 'tier', evidence: { tierBefore: 'cold', tier: 'hot' } }]);
    expect(await jobs('u:demo-lead', 'demo-request')).toMatchObject([{ kind: 'form', evidence: { formId: 'demo-request' } }]);
  });
});

describe('a flood of form submissions', () => {
  it('is one alert for the lead, the rest refused and counted, in one batch or many', async () => {
    const submit = (i: number) => tracked({ type: 'track', userId: 'flooder', event: 'Form Submitted', messageId: `flood-${i}`, timestamp: new Date(Date.now() - 60_000 + i * 100).toISOString(), properties: { form_id: 'demo-request' } });
    await world.produce(Array.from({ length: 20 }, (_, i) => submit(i)));
    await world.caughtUp();
    for (let i = 20; i < 25; i++) {
      await world.produce([submit(i)]);
      await world.caughtUp();
    }
    expect(await jobs('u:flooder', 'demo-request')).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort()}/metrics`)).text();
    expect(metrics).toMatch(/ingest_alerts_refused_total\{rule="demo-request",reason="cooldown"\} 24\n/);
  });
});
