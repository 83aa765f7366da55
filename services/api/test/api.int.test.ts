import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@leadscore/log';
import { ingestWorld, tracked, type IngestWorld, type Worker } from '@leadscore/ingest/test/support.ts';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import type { FastifyInstance } from 'fastify';
import { startTestApi, type TestApi } from './support.ts';
import { createRanking, type Ranking } from '../src/ranking.ts';
import { ALERTS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { createRedis } from '@leadscore/redis';
import { Queue } from 'bullmq';

/**
 * The API against real services: portraits written by a real ingest worker from events in Kafka, read over HTTP with
 * bearer tokens and scopes.
 */
const SALES = 'tok_sales_0123456789abcdef';
const ANALYST = 'tok_analyst_0123456789abcdef';
const DAY = 86_400_000;
const now = Date.now();
const ago = (days: number) => new Date(now - days * DAY).toISOString();
const logLines: string[] = [];
let world: IngestWorld;
let worker: Worker;
let app: FastifyInstance;
let ranking: Ranking;
let queue: Queue;
let api: TestApi;

const event = (raw: Record<string, unknown>) => tracked({ messageId: `m-${Math.random().toString(36).slice(2)}`, ...raw });

beforeAll(async () => {
  world = await ingestWorld(services(), 'api');
  await world.produce([
    // ann: the CEO of acme, the economic buyer, on pricing today; bob: acme's CTO, last seen 20 days ago.
    event({ type: 'identify', userId: 'ann', timestamp: ago(2), traits: { email: 'ann@acme.example', title: 'CEO', budget: 250000, company: { name: 'Acme' } } }),
    event({ type: 'group', userId: 'ann', groupId: 'acme', timestamp: ago(1.99), traits: { name: 'Acme', industry: 'Manufacturing', employees: 800 } }),
    event({ type: 'page', userId: 'ann', name: 'Pricing', timestamp: ago(1), properties: { path: '/pricing', url: 'https://www.example.com/pricing' }, context: { groupId: 'acme' } }),
    event({ type: 'page', userId: 'ann', name: 'Pricing', timestamp: ago(0.01), properties: { path: '/pricing', url: 'https://www.example.com/pricing' }, context: { groupId: 'acme' } }),
    event({ type: 'identify', userId: 'bob', timestamp: ago(20), traits: { email: 'bob@acme.example', title: 'CTO' } }),
    event({ type: 'group', userId: 'bob', groupId: 'acme', timestamp: ago(19.99), traits: { name: 'Acme' } }),
  ]);
  worker = await world.startWorker();
  await world.caughtUp(60_000);
  const log = createLogger(
    { service: 'api', level: 'info', namespace: world.ns },
    new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl, { connectionName: 'test-api-alerts' }), prefix: alertsQueuePrefix(world.ns) });
  api = await startTestApi(world, { tokens: [{ name: 'sales', token: SALES, scopes: ['leads:read'] }, { name: 'analyst', token: ANALYST, scopes: ['analytics:read'] }], rankingSweepMs: 1_000, log });
  ranking = api.api.ranking;
  app = api.app;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await queue?.close();
  await worker?.stop();
  await world?.close();
});

const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('access', () => {
  it('answers 401 without a token, and with an unknown one', async () => {
    expect((await get('/leads/u:ann')).statusCode).toBe(401);
    const unknown = await get('/leads/u:ann', 'tok_not_a_real_token_at_all');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 403 to a token without the scope, naming the scope', async () => {
    const res = await get('/leads/u:ann', ANALYST);
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('leads:read');
  });

  it('never writes a token to the logs', async () => {
    await get('/leads/u:ann', SALES);
    await get('/leads/u:ann', ANALYST);
    await get('/leads/u:ann', 'tok_not_a_real_token_at_all');
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).toContain('"token":"sales"');
    for (const secret of [SALES, ANALYST, 'tok_not_a_real_token_at_all']) expect(logLines.join('\n')).not.toContain(secret);
  });
});

describe('GET /leads/:id', () => {
  it('answers the portrait with the ledger that adds up to the heat shown', async () => {
    const res = await get('/leads/u:ann', SALES);
    expect(res.statusCode).toBe(200);
    const lead = res.json();
    expect(lead).toMatchObject({ lead: 'u:ann', role: { role: 'EB' }, company: { id: 'acme' } });
    expect(lead.tags.stated).toEqual(['big-budget']);
    expect(lead.tags.fact).toEqual(expect.arrayContaining(['target-industry']));
    expect(lead.traits).toMatchObject({ title: 'CEO', budget: 250000 });
    expect(lead.heat).toBeGreaterThan(0);
    expect(lead.ledger.lines.length).toBeGreaterThan(0);
    expect(lead.ledger.explained).toBeCloseTo(lead.heat, 6);
    expect(lead.ledger.unexplained).toBe(0);
    expect(lead.heatHistory).toHaveLength(14);
    expect(lead.timeline.map((e: { type: string }) => e.type)).toEqual(['page', 'page', 'group', 'identify']);
  });

  it('answers 400 naming the field for an id that is not a lead\'s, and 404 for a lead it does not know', async () => {
    const bad = await get('/leads/ann', SALES);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues).toEqual([{ path: 'path.id', message: 'expected a lead id: u:<userId> or e:<email>' }]);
    expect((await get('/leads/u:nobody', SALES)).statusCode).toBe(404);
  });
});

describe('GET /companies/:id', () => {
  it('answers the members and the buying group\'s coverage: engaged, missing, and who could fill a missing role', async () => {
    const res = await get('/companies/acme', SALES);
    expect(res.statusCode).toBe(200);
    const company = res.json();
    expect(company.members.map((m: { lead: string }) => m.lead)).toEqual(['u:ann', 'u:bob']);
    expect(company.buyingGroup.engaged).toEqual(['EB']);
    expect(company.buyingGroup.missing).toEqual(['UB', 'TB', 'Coach']);
    expect(company.buyingGroup.couldFill.TB).toEqual(['u:bob']);
  });
});

describe('GET /leads/hot and GET /leads/changes', () => {
  it('sweeps once per interval across instances', async () => {
    const lone = createRanking({ redis: world.redis, namespace: `${world.ns}:lone`, rules: () => parseRules(defaultRules), everyMs: 60_000 });
    expect((await lone.sweep(now)).swept).toBe(true);
    expect((await lone.sweep(now + 1)).swept).toBe(false);
  });

  it('answers 503 until the first ranking sweep', async () => {
    const res = await get('/leads/hot', SALES);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('lists leads by priority as the sweep ranked them, with filters', async () => {
    expect(await ranking.sweep(now)).toMatchObject({ swept: true, leads: 2 });
    const all = (await get('/leads/hot', SALES)).json();
    expect(all.leads.map((l: { lead: string }) => l.lead)).toEqual(['u:ann', 'u:bob']);
    expect(all.leads[0]).toMatchObject({ company: 'acme', role: 'EB', grade: expect.any(String), tier: expect.any(String) });
    expect((await get('/leads/hot?role=TB', SALES)).json().leads.map((l: { lead: string }) => l.lead)).toEqual(['u:bob']);
    expect((await get('/leads/hot?company=nobody', SALES)).json().leads).toEqual([]);
    const bad = await get('/leads/hot?tier=boiling', SALES);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('query.tier');
  });

  it('pages one ranking with a cursor, even after the next sweep', async () => {
    const first = (await get('/leads/hot?limit=1', SALES)).json();
    expect(first.leads.map((l: { lead: string }) => l.lead)).toEqual(['u:ann']);
    expect(await ranking.sweep(now + 1_500)).toMatchObject({ swept: true });
    const second = (await get(`/leads/hot?limit=1&cursor=${first.cursor}`, SALES)).json();
    expect(second).toMatchObject({ ranking: first.ranking, leads: [{ lead: 'u:bob' }] });
  });

  it('records a tier change caused by decay alone within one sweep, and resumes from a cursor', async () => {
    const before = (await get('/leads/hot?limit=1', SALES)).json().leads[0];
    expect(before.tier).not.toBe('cold');
    expect(await ranking.sweep(now + 20 * DAY)).toMatchObject({ swept: true });
    const changes = (await get('/leads/changes', SALES)).json();
    expect(changes.changes).toContainEqual(expect.objectContaining({ kind: 'tier', lead: 'u:ann', from: before.tier, to: 'cold', cause: 'decay' }));
    expect((await get(`/leads/changes?cursor=${changes.cursor}`, SALES)).json()).toEqual({ changes: [], cursor: changes.cursor });
  });
});

describe('GET /leads/export', () => {
  it('streams every lead\'s scores with their reasons as NDJSON, and as CSV safe for spreadsheets', async () => {
    const ndjson = await get('/leads/export', SALES);
    expect(ndjson.statusCode).toBe(200);
    expect(ndjson.headers['content-type']).toContain('application/x-ndjson');
    const rows = ndjson.body.trim().split('\n').map((l) => JSON.parse(l) as { lead: string; fit: string[]; tags: string[] });
    expect(rows.map((r) => r.lead).sort()).toEqual(['u:ann', 'u:bob']);
    expect(rows.find((r) => r.lead === 'u:ann')?.tags).toContain('big-budget');
    const csv = await get('/leads/export?format=csv', SALES);
    expect(csv.headers['content-type']).toContain('text/csv');
    const [header, ...lines] = csv.body.trim().split('\n');
    expect(header).toBe('lead,tier,grade,heat,priority,company,tags,fit,role,stage,rankedAt');
    expect(lines).toHaveLength(2);
  });
});

describe('GET /alerts and POST /alerts/:id/ack', () => {
  const job: HotLeadJob = { lead: 'u:ann', company: 'acme', rule: 'pricing-streak', kind: 'streak', window: 'w1', action: 'call today', evidence: {}, messageId: 'm1', rulesVersion: '1', firedAt: new Date(now).toISOString() };

  it('lists recent alerts with their state, deliveries per channel and acknowledgement', async () => {
    await queue.add(job.rule, job, { jobId: 'alert-test-1' });
    const res = await get('/alerts?limit=10', SALES);
    expect(res.statusCode).toBe(200);
    expect(res.json().alerts).toContainEqual(expect.objectContaining({ id: 'alert-test-1', lead: 'u:ann', rule: 'pricing-streak', state: expect.any(String), channels: [], ack: null }));
  });

  it('records who took an alert, answers 404 for one it does not know and 400 naming a missing field', async () => {
    const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${SALES}` }, payload: body as object });
    const res = await post('/alerts/alert-test-1/ack', { by: 'Ann Lee' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 'alert-test-1', ack: { by: 'Ann Lee' } });
    const listed = (await get('/alerts?limit=10', SALES)).json().alerts.find((a: { id: string }) => a.id === 'alert-test-1');
    expect(listed.ack.by).toBe('Ann Lee');
    expect((await post('/alerts/alert-nope/ack', { by: 'Ann Lee' })).statusCode).toBe(404);
    const bad = await post('/alerts/alert-test-1/ack', {});
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('body.by');
  });
});

describe('the document', () => {
  it('serves an OpenAPI 3.1 document generated from the schemas, and a docs page', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/leads/{id}', '/companies/{id}']));
    expect(doc.paths['/leads/{id}'].get.responses['200'].content['application/json'].schema.properties.ledger).toBeDefined();
    expect((await app.inject({ method: 'GET', url: '/docs' })).body).toContain('/leads/{id}');
  });
});
