import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { createClickHouse, eventsWithLead, serverExecutor } from '@leadscore/clickhouse';
import { loadConfig } from '@leadscore/config';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { scoringSettingsOf } from '@leadscore/ingest/src/scoring-path.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from '@leadscore/ingest/test/support.ts';
import { createLogger } from '@leadscore/log';
import { readLedger, readProfile } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { checkPortraits, rescoreInPlace } from '@leadscore/replay/src/rescore.ts';
import { topicPosition } from '@leadscore/replay/src/topic-position.ts';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { startTestApi, type TestApi } from './support.ts';

/**
 * Merge by hand: two user leads that are one person (they claim one email), merged by a person through the API; the
 * ingest worker applies it like any link, a rescore of the lead rebuilds it from every stored event, and ClickHouse
 * resolves both users' events to the lead.
 */
const HOUR = 3_600_000;
const rules = parseRules(defaultRules);
const log = createLogger({ service: 'merge-test', level: 'silent', namespace: 'test' });
const tokens = [
  { name: 'ops', token: 'admin-token-0123456789', scopes: ['admin' as const] },
  { name: 'sales', token: 'reader-token-0123456789', scopes: ['leads:read' as const] },
];
let n = 0;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const event = (raw: Record<string, unknown>) => tracked({ messageId: `mg-${++n}`, ...raw });
const pagesOf = new Map<string, string>();
const page = (userId: string, msAgo: number, path = '/docs') => {
  const e = event({ type: 'page', userId, name: path, timestamp: at(msAgo), properties: { path } });
  pagesOf.set(e.messageId, userId);
  return e;
};

let world: IngestWorld;
let worker: Worker;
let api: TestApi;
const post = (path: string, body: unknown, token = tokens[0]?.token) => api.app.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${token}` }, payload: body as object });
const get = (path: string) => api.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${tokens[0]?.token}` } });
const settings = () => scoringSettingsOf(loadConfig({ ...process.env, NAMESPACE: world.ns, TIME_ZONE: 'UTC' }));
const linkedTo = async (lead: string) => (await readProfile(world.redis, world.ns, lead)).linkedTo;

beforeAll(async () => {
  world = await ingestWorld(services(), 'merge');
  Object.assign(world.env, { TIME_ZONE: 'UTC' });
  worker = await world.startWorker();
  // ann signs up on the site; the CRM knows her under another user id; both claim her email: a conflict.
  await world.produce([
    event({ type: 'identify', userId: 'ann', anonymousId: 'ann-laptop', timestamp: at(50 * HOUR), traits: { email: 'ann@acme.example' } }),
    page('ann', 49 * HOUR, '/pricing'),
    page('ann', 48 * HOUR),
    event({ type: 'identify', userId: 'crm-17', anonymousId: 'ann-phone', timestamp: at(30 * HOUR), traits: { email: 'ann@acme.example', title: 'CTO' } }),
    page('crm-17', 29 * HOUR, '/pricing'),
    event({ type: 'identify', userId: 'old-9', timestamp: at(20 * HOUR), traits: { email: 'ann.lee@acme.example' } }),
    page('old-9', 19 * HOUR),
    event({ type: 'identify', userId: 'bob', timestamp: at(10 * HOUR), traits: { email: 'bob@acme.example' } }),
  ]);
  await world.caughtUp(60_000);
  api = await startTestApi(world, { tokens });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await world?.close();
});

describe('merging two leads by hand', () => {
  it('starts from a conflict a person can see', async () => {
    const conflicts = (await get('/identity/conflicts')).json().conflicts as { lead: string; existing: string }[];
    expect(conflicts).toContainEqual(expect.objectContaining({ lead: 'u:crm-17', existing: 'u:ann' }));
  });

  it('needs the admin scope', async () => {
    expect((await post('/leads/u:ann/merge', { other: 'u:crm-17' }, tokens[1]?.token)).statusCode).toBe(403);
  });

  it('refuses what is not two known user leads, saying why', async () => {
    const email = await post('/leads/u:ann/merge', { other: 'e:ann@acme.example' });
    expect(email.statusCode).toBe(422);
    expect(email.json().message).toMatch(/only user leads/);
    const unknown = await post('/leads/u:ann/merge', { other: 'u:nobody' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toBe('no lead u:nobody');
    expect((await post('/leads/u:ann/merge', { other: 'u:ann' })).statusCode).toBe(422);
  });

  it('records the merge and the workers apply it: the other user answers as the lead', async () => {
    const answer = await post('/leads/u:ann/merge', { other: 'u:crm-17', note: 'CRM id of the same person' });
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).toMatchObject({ lead: 'u:ann', merged: 'u:crm-17', mergedBy: 'ops', repointed: [], already: false, rescore: 'pnpm rescore --lead u:ann' });
    await expect.poll(() => linkedTo('u:crm-17'), { timeout: 30_000 }).toBe('u:ann');
    expect((await get('/leads/u:crm-17')).json().lead).toBe('u:ann');
    expect((await readProfile(world.redis, world.ns, 'u:ann')).linkedFrom).toContain('u:crm-17');
  });

  it('is one merge however often asked', async () => {
    const again = await post('/leads/u:ann/merge', { other: 'u:crm-17' });
    expect(again.statusCode).toBe(202);
    expect(again.json().already).toBe(true);
  });

  it('no longer lists the pair as a conflict', async () => {
    const conflicts = (await get('/identity/conflicts')).json().conflicts as { lead: string; existing: string }[];
    expect(conflicts.filter((c) => [c.lead, c.existing].includes('u:crm-17'))).toEqual([]);
  });

  it('sends the merged user\'s later events to the lead', async () => {
    await world.produce([page('crm-17', 60_000, '/pricing')]);
    await world.caughtUp(30_000);
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts.page).toBe(3);
  });

  it('refuses a merge into a lead merged away, naming the lead to use', async () => {
    const refused = await post('/leads/u:crm-17/merge', { other: 'u:old-9' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toBe('u:crm-17 is merged into u:ann: merge into u:ann');
  });

  it('resolves every event of the merged users to the lead in ClickHouse, however merges are chained', async () => {
    // old-9 is merged into bob first, then bob into ann: old-9 follows, in one hop.
    expect((await post('/leads/u:bob/merge', { other: 'u:old-9' })).statusCode).toBe(202);
    const chained = await post('/leads/u:ann/merge', { other: 'u:bob' });
    expect(chained.json().repointed).toEqual(['u:old-9']);
    await expect.poll(() => linkedTo('u:bob'), { timeout: 30_000 }).toBe('u:ann');
    const exec = serverExecutor(createClickHouse({ url: services().clickhouseUrl, user: services().clickhouseUser, password: services().clickhousePassword }));
    const leads = await exec.rows<{ lead: string; events: string }>(`SELECT lead, count() AS events FROM (${eventsWithLead(world.ns)}) AS r WHERE type != 'alias' GROUP BY lead ORDER BY lead`);
    expect(leads).toEqual([{ lead: 'u:ann', events: '9' }]);
  });

  it('is rebuilt exactly by a rescore of the lead: equal to every stored event replayed, field by field', async () => {
    const admin = world.kafka.admin();
    await admin.connect();
    const queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl, { connectionName: 'test-merge-queue' }), prefix: alertsQueuePrefix(world.ns) });
    try {
      await world.caughtUp(30_000);
      const r = await rescoreInPlace(
        { redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings: settings(), log, topic: topicPosition(admin, `${world.ns}.ingest`, world.topics.events), alerts: queue },
        { rules, choose: { leads: ['u:crm-17'] } },
      );
      expect(r.chosen?.leads).toEqual(['u:ann']);
      expect(r.chosen?.profiles).toBeGreaterThanOrEqual(6);
      const check = await checkPortraits({ redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings: settings(), log }, { rules, now: Date.now(), leads: ['u:ann'] });
      expect(check.differing).toEqual([]);
      // One history: every event of the four user ids (and the three merges) is the lead's, in one ledger and
      // one timeline, its visitors' included.
      expect((await readProfile(world.redis, world.ns, 'u:ann')).counts).toEqual({ identify: 4, page: 5, alias: 3 });
      const scored = new Set((await readLedger(world.redis, world.ns, 'u:ann', 100)).map((l) => l.messageId));
      for (const user of ['ann', 'crm-17', 'old-9']) expect([...scored].some((id) => pagesOf.get(id) === user)).toBe(true);
      expect((await get('/leads/u:old-9')).json().timeline).toHaveLength(12);
      // Nothing is left to find under the merged ids but their links.
      expect((await readProfile(world.redis, world.ns, 'u:crm-17')).counts).toEqual({});
    } finally {
      await queue.close();
      await admin.disconnect();
    }
  });
});
