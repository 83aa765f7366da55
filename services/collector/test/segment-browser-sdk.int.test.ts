import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AnalyticsBrowser } from '@segment/analytics-next';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '@leadscore/tests/support/browser.ts';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { startTestCollector, WRITE_KEY, type TestCollector } from './support.ts';

/** What the bundle puts on the page's window. */
interface BundleGlobals {
  AnalyticsBrowser: typeof AnalyticsBrowser;
}

type Stored = Record<string, unknown> & { type: string; messageId: string; anonymousId?: string; context?: Record<string, unknown> };

const PAGE_PATH = '/pricing?utm_source=newsletter&utm_campaign=spring';
const PAGE_TITLE = 'Pricing - Acme';
/** The route analytics.js posts each call to, by the messageId the test gives the call. */
const CALLS = { 'web-page': '/v1/p', 'web-track': '/v1/t', 'web-alias': '/v1/a', 'web-identify': '/v1/i', 'web-group': '/v1/g', 'web-screen': '/v1/s' } as const;

/** The npm package as a site would ship it: bundled for the browser, nothing changed. */
async function bundleAnalyticsNext(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "import { AnalyticsBrowser } from '@segment/analytics-next';\nwindow.AnalyticsBrowser = AnalyticsBrowser;\n",
      // Resolve the package from this service's own dependencies.
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      sourcefile: 'analytics-entry.js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild produced no bundle');
  return file.text;
}

/** A site on an origin of its own (another port), so every request to the collector is cross-origin. */
async function startSite(bundle: string): Promise<{ server: Server; origin: string }> {
  const html = `<!doctype html><html><head><title>${PAGE_TITLE}</title><script src="/analytics.js"></script></head><body><h1>Pricing</h1></body></html>`;
  const server = createServer((request, response) => {
    if (request.url === '/analytics.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else if (request.url?.startsWith('/pricing')) response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let c: TestCollector;
let site: { server: Server; origin: string };
let browser: Browser;
let anonymousId: string | null | undefined;
const collectorResponses: { method: string; path: string; status: number }[] = [];
const failedRequests: string[] = [];
const byId = new Map<string, Stored>();
let recordCount = 0;

/** The SDK's event POSTs to the collector (its metrics, /v1/m, are not events). */
function collectorPosts() {
  return collectorResponses.filter((r) => r.method === 'POST' && r.path !== '/v1/m');
}

function stored(messageId: string): Stored {
  const event = byId.get(messageId);
  expect(event, `event ${messageId} in the topic`).toBeDefined();
  return event as Stored;
}

beforeAll(async () => {
  const [collector, bundle, chromium] = await Promise.all([startTestCollector(services().kafkaBrokers, { label: 'segment_browser' }), bundleAnalyticsNext(), launchChromium()]);
  c = collector;
  browser = chromium;
  site = await startSite(bundle);

  const page = await browser.newPage();
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === c.url) collectorResponses.push({ method: response.request().method(), path: url.pathname, status: response.status() });
  });
  page.on('requestfailed', (request) => failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? 'failed'}`));
  await page.goto(`${site.origin}${PAGE_PATH}`);

  // Runs in the page, with nothing but the write key and the collector's URL (as cdnURL) changed from a Segment set-up.
  anonymousId = await page.evaluate(
    async ({ writeKey, cdnURL }) => {
      const [analytics] = await (globalThis as unknown as BundleGlobals).AnalyticsBrowser.load({ writeKey, cdnURL });
      await analytics.page('Product', 'Pricing', { plan_table: 'v2' }, { messageId: 'web-page' });
      await analytics.track('Viewed Pricing', { plan: 'enterprise', seats: 40 }, { messageId: 'web-track' });
      // Before identify on purpose: once a user is identified the SDK overwrites alias's userId with that user's id.
      await analytics.alias('u1', 'crm-lead-77', { messageId: 'web-alias' });
      await analytics.identify('u1', { email: 'cto@acme.example', title: 'CTO' }, { messageId: 'web-identify' });
      await analytics.group('acme', { industry: 'software', employees: 250 }, { messageId: 'web-group' });
      await analytics.screen('App', 'Dashboard', { tab: 'leads' }, { messageId: 'web-screen' });
      return analytics.user().anonymousId();
    },
    { writeKey: WRITE_KEY, cdnURL: c.url },
  );

  // The SDK drops a call the collector refuses (4xx), so wait for an answer on every route rather than for six
  // records; the collector has a record in Kafka before it answers 200, so that many records are then due.
  await vi.waitFor(
    () => {
      const answered = new Set(collectorPosts().map((r) => r.path));
      for (const route of Object.values(CALLS)) if (!answered.has(route)) throw new Error(`no answer yet to ${route}`);
    },
    { timeout: 10_000, interval: 50 },
  );
  const accepted = collectorPosts().filter((r) => r.status === 200).length;
  const records = await readTopic(c.kafka, c.topics.events, accepted);
  recordCount = records.length;
  for (const record of records) {
    const event = JSON.parse(record.value) as Stored;
    byId.set(event.messageId, event);
  }
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (site ? site.server.close(resolve) : resolve(undefined)));
  await c?.close();
});

/*
 * analytics.js sends `"userId": null` on every call made before identify (page and track here); the collector must
 * take it as absent, or the SDK, which does not retry a 400, would lose every anonymous browser event.
 */
describe("Segment's @segment/analytics-next in a browser, loaded with the collector as its CDN", () => {
  it('fetches its settings from the collector, then posts each call to its own route there, across origins', () => {
    expect(new URL(site.origin).origin).not.toBe(c.url);
    expect(failedRequests).toEqual([]);
    expect(collectorResponses[0]).toEqual({ method: 'GET', path: `/v1/projects/${WRITE_KEY}/settings`, status: 200 });
    expect(collectorPosts().map((r) => r.path).sort()).toEqual(Object.values(CALLS).sort());
  });

  it('is answered 200 on every call', () => {
    for (const post of collectorPosts()) expect(post.status, `POST ${post.path}`).toBe(200);
  });

  it('delivers each call exactly once, under the messageId it was given', () => {
    expect(recordCount).toBe(Object.keys(CALLS).length);
    expect([...byId.keys()].sort()).toEqual(Object.keys(CALLS).sort());
  });

  it('keeps page with its name, category and properties', () => {
    expect(stored('web-page')).toMatchObject({ type: 'page', name: 'Pricing', category: 'Product', properties: { plan_table: 'v2', url: `${site.origin}${PAGE_PATH}`, title: PAGE_TITLE } });
  });

  it('keeps track with its event name and properties', () => {
    expect(stored('web-track')).toMatchObject({ type: 'track', event: 'Viewed Pricing', properties: { plan: 'enterprise', seats: 40 } });
  });

  it('keeps alias with the new and the previous id', () => {
    expect(stored('web-alias')).toMatchObject({ type: 'alias', userId: 'u1', previousId: 'crm-lead-77' });
  });

  it('keeps identify with its userId and traits', () => {
    expect(stored('web-identify')).toMatchObject({ type: 'identify', userId: 'u1', traits: { email: 'cto@acme.example', title: 'CTO' } });
  });

  it('keeps group with its group id and traits, attributed to the identified user', () => {
    expect(stored('web-group')).toMatchObject({ type: 'group', groupId: 'acme', userId: 'u1', traits: { industry: 'software', employees: 250 } });
  });

  it('keeps screen with its name, category and properties, attributed to the identified user', () => {
    expect(stored('web-screen')).toMatchObject({ type: 'screen', name: 'Dashboard', category: 'App', properties: { tab: 'leads' }, userId: 'u1' });
  });

  it("stores the calls made before identify as anonymous: the browser's anonymousId and no userId", () => {
    for (const id of ['web-page', 'web-track'] as const) {
      const event = stored(id);
      expect(event.anonymousId, `${id} anonymousId`).toBe(anonymousId);
      expect(event.userId, `${id} userId`).toBeUndefined();
    }
  });

  it('keeps the same anonymousId on the calls after identify', () => {
    expect(anonymousId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    for (const id of ['web-alias', 'web-identify', 'web-group', 'web-screen'] as const) expect(stored(id).anonymousId, `${id} anonymousId`).toBe(anonymousId);
  });

  // The remaining tests look at every event that arrived; whether all arrived is the business of the tests above.
  it('keeps the page context: URL, title and campaign of the page the calls were made on', () => {
    expect(byId.size).toBeGreaterThan(0);
    for (const event of byId.values()) {
      expect(event.context, `${event.type} context`).toMatchObject({
        page: { url: `${site.origin}${PAGE_PATH}`, path: '/pricing', search: '?utm_source=newsletter&utm_campaign=spring', title: PAGE_TITLE },
        campaign: { source: 'newsletter', name: 'spring' },
      });
    }
  });

  it("keeps the SDK's library, and tags every event with the source of the write key", () => {
    expect(byId.size).toBeGreaterThan(0);
    for (const event of byId.values()) {
      expect(event.context, `${event.type} context`).toMatchObject({ library: { name: 'analytics.js' } });
      expect(event.source).toEqual({ id: 'web', kind: 'segment' });
    }
  });

  it('does not store the write key the SDK puts in every body', () => {
    expect(byId.size).toBeGreaterThan(0);
    for (const event of byId.values()) expect(event).not.toHaveProperty('writeKey');
  });
});
