import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startTestCollector, IMPORT_KEY, type TestCollector } from '@leadscore/collector/test/support.ts';
import { ALERTS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { readPortrait } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { deliveryOrder, simulate } from '@leadscore/simulator';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, type IngestWorld, type Worker } from './support.ts';

/**
 * The whole path with simulated B2B traffic: HTTP into the collector, Kafka, an ingest worker, portraits in Redis
 * and hot-lead jobs; what the simulator says must happen is what happens.
 */
const now = new Date();
const sim = simulate({ seed: 42, now, companies: 12, weeks: 4 });
const rules = parseRules(defaultRules, { money: { currency: 'USD', rates: { CNY: 0.143 } } });
let world: IngestWorld;
let collector: TestCollector;
let worker: Worker;
let queue: Queue;

beforeAll(async () => {
  world = await ingestWorld(services(), 'pipeline');
  // The simulator prices CNY at 7 to the USD; the big-customer tag counts in the reporting currency.
  Object.assign(world.env, { TIME_ZONE: 'UTC', ROLLUP_RATES: 'CNY=0.143' });
  worker = await world.startWorker();
  collector = await startTestCollector(services().kafkaBrokers, { label: 'pipeline_collector', settings: { topics: { events: world.topics.events, deadLetter: world.topics.eventsDeadLetter } } });
  // History of any age goes through /v1/import, as a backfill would; the journeys meant to alert end now.
  const ordered = deliveryOrder(sim.messages, 7);
  for (let i = 0; i < ordered.length; i += 250) {
    const res = await post(`${collector.url}/v1/import`, { batch: ordered.slice(i, i + 250) }, { key: IMPORT_KEY });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toBeUndefined();
  }
  await world.caughtUp(120_000);
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl), prefix: alertsQueuePrefix(world.ns) });
}, 240_000);

afterAll(async () => {
  await queue?.close();
  await collector?.close();
  await worker?.stop();
  await world?.close();
});

describe('the pipeline on simulated B2B traffic', () => {
  it('finds exactly the hot leads the simulation made hot: one pricing-streak alert each', async () => {
    const jobs = (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'])).map((j) => j.data as HotLeadJob);
    const streaks = jobs.filter((j) => j.rule === 'pricing-streak').map((j) => j.lead);
    expect(sim.expected.hot.length).toBeGreaterThan(0);
    expect([...streaks].sort()).toEqual([...sim.expected.hot].sort());
  });

  it('reads the leads who left an email over a month ago and went quiet as cold, for nurture', async () => {
    for (const lead of sim.expected.cold) {
      const p = await readPortrait(world.redis, world.ns, lead, rules, now.getTime());
      expect(p.tier, lead).toBe('cold');
      expect(p.tags.map((t) => t.id), lead).toContain('nurture');
    }
  });

  it('tags the buyers of an order over 100k big customers', async () => {
    for (const lead of sim.expected.bigCustomers) {
      const p = await readPortrait(world.redis, world.ns, lead, rules, now.getTime());
      expect(p.tags.map((t) => t.id), lead).toContain('big-customer');
    }
  });
});
