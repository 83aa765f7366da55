import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { rollupSettings, runRollup } from '@leadscore/analytics';
import { serverExecutor } from '@leadscore/clickhouse';
import { ingestWorld, tracked, type IngestWorld, type Worker } from '@leadscore/ingest/test/support.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { buildApi } from '../src/app.ts';
import type { composeApi } from '../src/compose.ts';
import { DASHBOARD_CSP } from '../src/dashboard.ts';
import type { LiveMessage } from '../src/live-hub.ts';
import { startTestApi } from './support.ts';

/**
 * What the dashboard reads from the API, against real services: its files, who is logged in, the live stream the
 * ingest path feeds, a lead's alerts, the hot list's reasons and actions, and the analysts' figures.
 */
const SALES = 'tok_sales_0123456789abcdef';
const ANALYST = 'tok_analyst_0123456789abcdef';
const MINUTE = 60_000;
const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE).toISOString();
let n = 0;
const event = (raw: Record<string, unknown>) => tracked({ messageId: `da-${++n}`, ...raw });

let world: IngestWorld;
let worker: Worker;
let api: ReturnType<typeof composeApi>;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  world = await ingestWorld(services(), 'dashboard_api');
  await world.produce([
    event({ type: 'identify', userId: 'ann', timestamp: ago(60), traits: { email: 'ann@acme.example', title: 'CEO', budget: 250000 } }),
    event({ type: 'page', userId: 'ann', name: 'Pricing', timestamp: ago(50), properties: { path: '/pricing' } }),
    // cy claims ann's email: two known leads, one address, left for a person to resolve.
    event({ type: 'identify', userId: 'cy', timestamp: ago(55), traits: { email: 'ann@acme.example' } }),
    event({ type: 'track', userId: 'bob', event: 'Order Completed', timestamp: ago(40), properties: { order_id: 'o-1', revenue: 1200, currency: 'USD' } }),
  ]);
  worker = await world.startWorker();
  await world.caughtUp(60_000);
  await runRollup(serverExecutor(world.clickhouse), { database: world.ns, asOf: new Date(), settings: rollupSettings() });
  const started = await startTestApi(world, { tokens: [{ name: 'sales', token: SALES, scopes: ['leads:read'] }, { name: 'analyst', token: ANALYST, scopes: ['analytics:read'] }] });
  [api, app] = [started.api, started.app];
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await api?.close();
  await worker?.stop();
  await world?.close();
});

const get = (url: string, token?: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

/** Reads a live stream's `lead` messages until one passes `until`. */
async function listen(until: (m: LiveMessage) => boolean, timeoutMs = 30_000): Promise<{ opened: Promise<void>; found: Promise<LiveMessage> }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const response = await fetch(`${base}/live`, { headers: { authorization: `Bearer ${SALES}` }, signal: abort.signal });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  let resolveOpened!: () => void;
  const opened = new Promise<void>((r) => (resolveOpened = r));
  const found = (async () => {
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          if (block.includes('event: hello')) resolveOpened();
          const data = /^event: lead\ndata: (.*)$/m.exec(block)?.[1];
          if (data) {
            const m = JSON.parse(data) as LiveMessage;
            if (until(m)) return m;
          }
        }
      }
      throw new Error('the stream ended');
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  })();
  return { opened, found };
}

describe('the dashboard\'s files', () => {
  it('are served without a token, the page under a content security policy', async () => {
    const res = await get('/dashboard/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/')).headers.location).toBe('/dashboard/');
  });

  it('come gzipped when asked, and a browser revalidates them with their ETag', async () => {
    const res = await get('/dashboard/vendor/echarts.min.js', undefined, { 'accept-encoding': 'gzip, br' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.rawPayload.length).toBeLessThan(500_000);
    const again = await get('/dashboard/vendor/echarts.min.js', undefined, { 'if-none-match': String(res.headers.etag) });
    expect(again.statusCode).toBe(304);
  });

  it('answer 404 to anything else under /dashboard/, paths that climb out included', async () => {
    expect((await get('/dashboard/../package.json')).statusCode).toBe(404);
    expect((await get('/dashboard/%2e%2e/src/main.ts')).statusCode).toBe(404);
    expect((await get('/dashboard/nothing.js')).statusCode).toBe(404);
  });
});

describe('who is logged in', () => {
  it('is the token\'s name and scopes, for any known token whatever its scopes', async () => {
    expect((await get('/whoami', SALES)).json()).toEqual({ name: 'sales', scopes: ['leads:read'] });
    expect((await get('/whoami', ANALYST)).json()).toEqual({ name: 'analyst', scopes: ['analytics:read'] });
    expect((await get('/whoami')).statusCode).toBe(401);
  });

  it('ends open live streams when the server closes, so a shutdown does not wait for screens to leave', async () => {
    const other = await buildApi({ tokens: [{ name: 'sales', token: SALES, scopes: ['leads:read'] }], version: 'test' }, api.deps);
    const url = await other.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/live`, { headers: { authorization: `Bearer ${SALES}` } });
    const reading = (async () => {
      for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>);
    })();
    const began = Date.now();
    await other.close();
    await reading;
    expect(Date.now() - began).toBeLessThan(5_000);
  });
});

describe('the live stream', () => {
  it('pushes a lead\'s move into another tier and its alert as the ingest path decides them, with its row as of now', async () => {
    const tier = await listen((m) => m.kind === 'tier' && m.lead === 'u:ann');
    const alert = await listen((m) => m.kind === 'alert' && m.lead === 'u:ann');
    await Promise.all([tier.opened, alert.opened]);
    await world.produce([event({ type: 'track', userId: 'ann', event: 'Form Submitted', timestamp: ago(1), properties: { form_id: 'demo-request' } })]);
    const moved = await tier.found;
    expect(moved).toMatchObject({ from: 'cold', to: 'hot', entry: { lead: 'u:ann', tier: 'hot' } });
    expect(moved.entry?.why.map((w) => w.rule)).toContain('demo-request');
    expect(await alert.found).toMatchObject({ rule: 'demo-request', action: 'call within one business day', entry: { lead: 'u:ann' } });
  });

  it('is closed to a request without a token', async () => {
    expect((await fetch(`${base}/live`)).status).toBe(401);
  });
});

describe('the hot list and a lead\'s alerts', () => {
  it('give each hot lead why in one line and the action of its fresh alert', async () => {
    await world.caughtUp(30_000);
    await api.ranking.sweep();
    const ann = (await get('/leads/hot?tier=hot', SALES)).json().leads.find((l: { lead: string }) => l.lead === 'u:ann');
    expect(ann.why[0]).toMatchObject({ rule: 'demo-request', events: 1 });
    expect(ann.action).toMatchObject({ rule: 'demo-request', text: 'call within one business day' });
    expect(ann.lastSeen).toMatch(/Z$/);
  });

  it('list a lead\'s alerts with their state in the queue', async () => {
    const { alerts } = (await get('/leads/u:ann/alerts', SALES)).json();
    expect(alerts.map((a: { rule: string }) => a.rule).sort()).toEqual(['became-hot', 'demo-request']);
    const form = alerts.find((a: { rule: string }) => a.rule === 'demo-request');
    expect(form).toMatchObject({ lead: 'u:ann', kind: 'form', action: 'call within one business day', ack: null });
    expect(['waiting', 'active', 'completed', 'failed', 'delayed']).toContain(form.state);
    expect((await get('/leads/u:nobody/alerts', SALES)).statusCode).toBe(404);
  });

  it('draw a lead\'s heat curve through each event that scored', async () => {
    const lead = (await get('/leads/u:ann', SALES)).json();
    const form = lead.ledger.lines.find((l: { rule: string }) => l.rule === 'demo-request');
    const at = lead.heatCurve.findIndex((p: { at: string }) => p.at === form.at);
    expect(at).toBeGreaterThan(0);
    expect(lead.heatCurve[at].heat - lead.heatCurve[at - 1].heat).toBeGreaterThan(39);
  });
});

describe('identity conflicts', () => {
  it('are listed for a person to resolve: who claimed what, from whom, how often, when', async () => {
    // Whichever of the two was taken first (their events are on different partitions) holds the email.
    const { conflicts } = (await get('/identity/conflicts', SALES)).json();
    const email = conflicts.find((c: { kind: string }) => c.kind === 'email_owned_by_another_lead');
    expect([email.lead, email.existing].sort()).toEqual(['u:ann', 'u:cy']);
    expect(email).toMatchObject({ events: 1, detail: expect.stringContaining('ann@acme.example') });
    expect(email.lastAt).toMatch(/Z$/);
  });
});

describe('the analysts\' figures', () => {
  it('give the RFM grid and the lifecycle funnel with the SQL that made them', async () => {
    const rfm = (await get('/analytics/rfm', ANALYST)).json();
    expect(rfm.sql).toContain('FROM lead_rfm');
    expect(rfm.cells).toEqual([expect.objectContaining({ buyers: 1, revenue: 1200 })]);
    const lifecycle = (await get('/analytics/lifecycle', ANALYST)).json();
    expect(lifecycle.sql).toContain('FROM rollup_leads');
    expect(lifecycle.snapshots).toHaveLength(1);
    expect(lifecycle.snapshots[0]).toMatchObject({ new: 1 });
  });

  it('need the analytics:read scope', async () => {
    expect((await get('/analytics/rfm', SALES)).statusCode).toBe(403);
  });
});
