import { Queue } from 'bullmq';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@leadscore/config';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { scoringSettingsOf } from '@leadscore/ingest/src/scoring-path.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from '@leadscore/ingest/test/support.ts';
import { createLogger } from '@leadscore/log';
import { profileKeys, readProfile } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import type { Choice } from '../src/choice.ts';
import { checkPortraits, rescoreInPlace } from '../src/rescore.ts';
import { RescoreMismatch } from '../src/rescore-run.ts';
import { topicPosition } from '../src/topic-position.ts';

/**
 * Rescores of chosen portraits (leads, whoever had events since a time) after Redis lost writes, and a rescore
 * stopped part way and resumed: only the chosen are rebuilt, and the resumed one ends as one run from the start would.
 */
const DAY = 86_400_000;
const rules = parseRules(defaultRules);
const log = createLogger({ service: 'rescore-test', level: 'silent', namespace: 'test' });
let n = 0;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const event = (raw: Record<string, unknown>) => tracked({ messageId: `rc-${++n}`, ...raw });
const page = (userId: string, msAgo: number) => event({ type: 'page', userId, name: 'Pricing', timestamp: at(msAgo), properties: { path: '/pricing' } });

let world: IngestWorld;
let worker: Worker;
let admin: Admin;
let queue: Queue;
let since: number;
const settings = () => scoringSettingsOf(loadConfig({ ...process.env, NAMESPACE: world.ns, TIME_ZONE: 'UTC' }));
const deps = () => ({ redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings: settings(), log });
const rescore = (options: { choose?: Choice; afterBatch?: (replayed: number) => Promise<void>; restart?: boolean } = {}) =>
  rescoreInPlace({ ...deps(), topic: topicPosition(admin, `${world.ns}.ingest`, world.topics.events), alerts: queue }, { rules, ...options });
const differing = async () => (await checkPortraits(deps(), { rules, now: Date.now() })).differing.map((d) => d.lead);
/** Redis losing a lead's last write: its newest ledger line gone. */
const loseLastWrite = (lead: string) => world.redis.rpop(profileKeys(world.ns, lead).ledger);

beforeAll(async () => {
  world = await ingestWorld(services(), 'rescore-chosen');
  Object.assign(world.env, { TIME_ZONE: 'UTC' });
  worker = await world.startWorker();
  const history = [];
  for (const user of ['ann', 'bob', 'cy']) {
    history.push(event({ type: 'identify', userId: user, timestamp: at(6 * DAY), traits: { email: `${user}@${user === 'cy' ? 'sea' : 'acme'}.example` } }));
    for (let day = 5; day >= 1; day--) history.push(page(user, day * DAY));
  }
  await world.produce(history);
  await world.caughtUp(60_000);
  since = Date.now();
  await world.produce([page('bob', 60_000), page('cy', 50_000)]);
  await world.caughtUp(60_000);
  admin = world.kafka.admin();
  await admin.connect();
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl, { connectionName: 'test-rescore-chosen-queue' }), prefix: alertsQueuePrefix(world.ns) });
}, 120_000);

afterAll(async () => {
  await queue?.close();
  await admin?.disconnect();
  await worker?.stop();
  await world?.close();
});

describe('a rescore of chosen portraits', () => {
  it('rebuilds the chosen lead only: the others keep what Redis has, lost writes and all', async () => {
    for (const lead of ['u:ann', 'u:bob', 'u:cy']) await loseLastWrite(lead);
    expect(await differing()).toEqual(['u:ann', 'u:bob', 'u:cy']);
    const r = await rescore({ choose: { leads: ['u:ann'] } });
    expect(r.chosen).toMatchObject({ leads: ['u:ann'], companies: [] });
    expect(await differing()).toEqual(['u:bob', 'u:cy']);
  });

  it('rebuilds whoever had events received since a time, with their companies', async () => {
    const r = await rescore({ choose: { since } });
    expect(r.chosen).toMatchObject({ leads: ['u:bob', 'u:cy'], companies: ['domain:acme.example', 'domain:sea.example'] });
    expect(await differing()).toEqual([]);
  });
});

describe('a rescore stopped part way', () => {
  it('is resumed where it stopped when run again the same way, ending as one run from the start would', async () => {
    await loseLastWrite('u:ann');
    const stopped = rescore({
      afterBatch: async (replayed) => {
        if (replayed > 0) throw new Error('stopped');
      },
    });
    await expect(stopped).rejects.toThrow('stopped');
    expect(await world.redis.exists(`${world.ns}:rescore-run`)).toBe(1);
    // Another question is refused while it waits, naming how to go on.
    await expect(rescore({ choose: { leads: ['u:bob'] } })).rejects.toThrow(RescoreMismatch);
    const resumed = await rescore();
    expect(resumed.resumedFrom).toBe('replay');
    expect(resumed.replayed).toBe(20);
    expect(await differing()).toEqual([]);
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts).toEqual({ identify: 1, page: 5 });
    expect(await world.redis.keys(`${world.ns}:rescore*`)).toEqual([]);
  });
});
