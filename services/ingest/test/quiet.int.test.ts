import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@leadscore/log';
import { definePortraitScripts, readPortrait } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { ALERTS_QUEUE, SWEEPS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { createAlertOutbox } from '@leadscore/portrait';
import { createQuietSweep } from '../src/quiet-sweep.ts';
import { ingestWorld, testLayout, tracked, type IngestWorld, type Worker } from './support.ts';

const rules = parseRules(defaultRules);
const DAY = 86_400_000;
let world: IngestWorld;
let worker: Worker;
let queue: Queue;

beforeAll(async () => {
  world = await ingestWorld(services(), 'quiet');
  worker = await world.startWorker();
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl), prefix: alertsQueuePrefix(world.ns) });
  await world.produce([
    // Left an email a month and a half ago, then nothing.
    tracked({ type: 'track', anonymousId: 'v-q', event: 'Form Submitted', messageId: 'q-1', timestamp: new Date(Date.now() - 45 * DAY).toISOString(), properties: { form_id: 'newsletter', email: 'quiet@beta.example' } }),
    tracked({ type: 'page', userId: 'busy', messageId: 'q-2', timestamp: new Date(Date.now() - DAY).toISOString(), context: { page: { path: '/docs' } } }),
  ]);
  await world.caughtUp();
});

afterAll(async () => {
  await queue?.close();
  await worker?.stop();
  await world?.close();
});

function sweep() {
  const redis = world.redis;
  const scripts = definePortraitScripts(redis);
  const log = createLogger({ service: 'test', level: 'silent', namespace: world.ns });
  const outbox = createAlertOutbox({ layout: { ...testLayout(world.ns), alertFields: [] }, redis, scripts, queue, log, markerRetentionMs: 8 * DAY });
  return createQuietSweep({ namespace: world.ns, redis, scripts, outbox, rules: () => rules, log })();
}

describe('the quiet sweep', () => {
  it('is scheduled by the workers as a BullMQ job scheduler', async () => {
    const sweeps = new Queue(SWEEPS_QUEUE, { connection: createRedis(services().redisUrl), prefix: alertsQueuePrefix(world.ns) });
    const schedulers = await sweeps.getJobSchedulers();
    await sweeps.close();
    expect(schedulers.map((s) => s.key)).toContain('quiet-sweep');
  });

  it('marks a lead quiet for 30 days cold, tags it for nurture and notifies once', async () => {
    expect(await sweep()).toMatchObject({ quiet: 1, notified: 1 });
    const p = await readPortrait(world.redis, world.ns, 'e:quiet@beta.example', rules, Date.now());
    expect(p.tier).toBe('cold');
    expect(p.tags).toContainEqual({ id: 'nurture', kind: 'quiet' });
    expect(await world.redis.hget(`${world.ns}:{p:e:quiet@beta.example}:state`, 'quiet_since')).not.toBeNull();
    const jobs = (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.data as HotLeadJob);
    expect(jobs.filter((j) => j.kind === 'quiet')).toMatchObject([{ lead: 'e:quiet@beta.example', action: expect.stringContaining('nurtur') }]);
    // Handled leads leave the index: the next sweep reads only leads that went quiet since.
    expect(await sweep()).toMatchObject({ quiet: 0, notified: 0 });
  });

  it('leaves an active lead alone', async () => {
    const p = await readPortrait(world.redis, world.ns, 'u:busy', rules, Date.now());
    expect(p.tags.map((t) => t.id)).not.toContain('nurture');
  });

  it('warms the lead again with a new event', async () => {
    await world.produce([tracked({ type: 'page', anonymousId: 'email:quiet@beta.example', messageId: 'q-3', timestamp: new Date().toISOString(), context: { page: { path: '/pricing' } } })]);
    await world.caughtUp();
    const p = await readPortrait(world.redis, world.ns, 'e:quiet@beta.example', rules, Date.now());
    expect(p.tags.map((t) => t.id)).not.toContain('nurture');
    expect(p.heat).toBeGreaterThan(10);
  });
});
