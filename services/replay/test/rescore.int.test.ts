import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@leadscore/config';
import { ALERTS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { scoringSettingsOf } from '@leadscore/ingest/src/scoring-path.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from '@leadscore/ingest/test/support.ts';
import { createLogger } from '@leadscore/log';
import { readProfile } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { checkPortraits, rescoreInPlace, type RescoreResult } from '../src/rescore.ts';
import { topicPosition } from '../src/topic-position.ts';

/**
 * A rescore in place while a real ingest worker consumes: events before the cutover rebuilt from ClickHouse, events
 * produced during the rescore applied once, past firings marked and not sent.
 */
const DAY = 86_400_000;
const rules = parseRules(defaultRules);
const log = createLogger({ service: 'rescore-test', level: 'silent', namespace: 'test' });
let n = 0;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const event = (raw: Record<string, unknown>) => tracked({ messageId: `rs-${++n}`, ...raw });
const pricing = (userId: string, msAgo: number) => event({ type: 'page', userId, name: 'Pricing', timestamp: at(msAgo), properties: { path: '/pricing' } });

let world: IngestWorld;
let worker: Worker;
let queue: Queue;
let result: RescoreResult;
let jobsBefore: HotLeadJob[];

beforeAll(async () => {
  world = await ingestWorld(services(), 'rescore');
  Object.assign(world.env, { TIME_ZONE: 'UTC' });
  worker = await world.startWorker();
  // ann: a pricing streak ten days ago, which the live path (a backfill) alerted nobody about; bob: a demo request now.
  await world.produce([
    event({ type: 'identify', userId: 'ann', timestamp: at(12 * DAY + 3_600_000), traits: { email: 'ann@acme.example', title: 'CEO', budget: 250000 } }),
    pricing('ann', 12 * DAY),
    pricing('ann', 11 * DAY),
    pricing('ann', 10 * DAY),
    event({ type: 'identify', userId: 'bob', timestamp: at(120_000), traits: { email: 'bob@bee.example' } }),
    event({ type: 'track', userId: 'bob', event: 'Form Submitted', timestamp: at(60_000), properties: { form_id: 'demo-request' } }),
  ]);
  await world.caughtUp(60_000);
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl, { connectionName: 'test-rescore-queue' }), prefix: alertsQueuePrefix(world.ns) });
  jobsBefore = (await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).map((j) => j.data as HotLeadJob);
  const admin = world.kafka.admin();
  await admin.connect();
  const settings = scoringSettingsOf(loadConfig({ ...process.env, NAMESPACE: world.ns, TIME_ZONE: 'UTC' }));
  // Ingestion goes on during the rescore: right after the cutover is read, cy arrives and ann comes back to pricing
  // today; the worker applies them to the old portraits while the new ones are rebuilt.
  const position = topicPosition(admin, `${world.ns}.ingest`, world.topics.events);
  let cutoverRead = false;
  const topic = {
    ends: () => position.ends(),
    async committed() {
      const offsets = await position.committed();
      if (!cutoverRead) {
        cutoverRead = true;
        await world.produce([event({ type: 'identify', userId: 'cy', timestamp: at(5_000), traits: { email: 'cy@sea.example' } }), pricing('cy', 4_000), pricing('ann', 3_000)]);
      }
      return offsets;
    },
  };
  result = await rescoreInPlace({ redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings, log, topic, alerts: queue }, { rules });
  await world.caughtUp(60_000);
  await admin.disconnect();
}, 180_000);

afterAll(async () => {
  await queue?.close();
  await worker?.stop();
  await world?.close();
});

describe('a rescore in place, while ingestion goes on', () => {
  it('rebuilds from the events before the cutover, swaps the rebuilt portraits in, and applies the later ones again', () => {
    expect(result.replayed).toBe(6);
    expect(result.keys).toBeGreaterThan(0);
    expect(result.caughtUp).toBe(3);
  });

  it('loses and doubles nothing: every live portrait equals one rebuilt from the stored events, each counted once', async () => {
    const settings = scoringSettingsOf(loadConfig({ ...process.env, NAMESPACE: world.ns, TIME_ZONE: 'UTC' }));
    const check = await checkPortraits({ redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings, log }, { rules, now: Date.now() });
    expect(check.differing).toEqual([]);
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts).toEqual({ identify: 1, page: 4 });
    expect((await readProfile(world.redis, world.ns, 'u:cy')).counts).toEqual({ identify: 1, page: 1 });
  });

  it('marks the past streak it replayed and sends nothing of the past; what was sent stays sent once', async () => {
    expect(result.markedOnly).toBeGreaterThan(0);
    const jobs = (await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).map((j) => j.data as HotLeadJob);
    expect(jobs.filter((j) => j.lead === 'u:ann' && j.rule === 'pricing-streak')).toEqual([]);
    expect(jobs.filter((j) => j.lead === 'u:bob' && j.rule === 'demo-request')).toHaveLength(1);
    expect(jobsBefore.filter((j) => j.lead === 'u:bob' && j.rule === 'demo-request')).toHaveLength(1);
  });
});
