import { mkdirSync, copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { post, startTestCollector, IMPORT_KEY, type TestCollector } from '@leadscore/collector/test/support.ts';
import { rollupSettings, runRollup } from '@leadscore/analytics';
import { serverExecutor } from '@leadscore/clickhouse';
import { ingestWorld, type IngestWorld, type Worker } from '@leadscore/ingest/test/support.ts';
import { seedSyntheticLeads } from '@leadscore/portrait';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { billingHistory, deliveryOrder, simulate } from '@leadscore/simulator';
import { launchChromium } from '@leadscore/tests/support/browser.ts';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { messages } from '../dashboard/i18n.js';
import { startTestApi, type TestApi } from './support.ts';

/**
 * The dashboard end to end, in Debian's headless Chromium: simulated traffic through the collector, Kafka and a real
 * ingest worker, the API serving the dashboard and pushing live changes, a salesperson's screen. Screenshots go to
 * .reports/dashboard (and to docs/screenshots with SCREENSHOTS_TO_DOCS=1, for the README).
 */
const TOKEN = 'tok_dashboard_0123456789abcdef';
const now = new Date();
const rules = parseRules(defaultRules, { money: { currency: 'USD', rates: { CNY: 0.143 } } });
const sim = simulate({ seed: 'dashboard', now, companies: 6, weeks: 3 });
// Two years of customers' orders, so the analyst page has a grid and a funnel to show.
const history = billingHistory({ seed: 'dashboard', now, customers: 15 });
// One of the leads the simulation heats up: everything else is there when the screen opens, its own events come later.
const hotLead = sim.expected.hot[0] as string;
const hotUser = hotLead.slice(2);
type Who = { readonly userId?: string | null; readonly anonymousId?: string | null };
const hotAnonymous = new Set(sim.messages.filter((m: Who) => m.userId === hotUser).map((m: Who) => m.anonymousId).filter((a): a is string => typeof a === 'string'));
const isHotLeads = (m: Who) => m.userId === hotUser || (typeof m.anonymousId === 'string' && hotAnonymous.has(m.anonymousId));
const REPORTS = new URL('../../../.reports/dashboard/', import.meta.url);
const DOCS = new URL('../../../docs/screenshots/', import.meta.url);

let world: IngestWorld;
let worker: Worker;
let collector: TestCollector;
let api: TestApi;
let base: string;
let browser: Browser;
let page: Page;

async function send(batch: readonly unknown[]): Promise<void> {
  const ordered = deliveryOrder(batch as never, 7);
  for (let i = 0; i < ordered.length; i += 250) {
    const res = await post(`${collector.url}/v1/import`, { batch: ordered.slice(i, i + 250) }, { key: IMPORT_KEY });
    expect(res.status).toBe(200);
  }
  await world.caughtUp(120_000);
}

async function screenshot(name: string): Promise<void> {
  // Read and dismissed, as a person would, so they hide nothing of the page.
  // (A toast may leave on its own meanwhile: a short wait for each.)
  for (const close of await page.locator('[data-testid=toast] button').all()) await close.click({ timeout: 500 }).catch(() => {});
  mkdirSync(REPORTS, { recursive: true });
  const file = new URL(`${name}.png`, REPORTS);
  await page.screenshot({ path: file.pathname, fullPage: true });
  if (process.env.SCREENSHOTS_TO_DOCS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, new URL(`${name}.png`, DOCS));
  }
}

/** Elements whose whole text is an English label: their keys, to find the same labels in Chinese. */
const labelKeys = (texts: readonly string[]) => {
  const byText = new Map(Object.entries(messages.en as Record<string, string>).map(([k, v]) => [v, k]));
  return texts.map((t) => byText.get(t.trim())).filter((k): k is string => k !== undefined);
};
const headings = () => page.locator('main h1, main h2, main h3, main th').allInnerTexts();

beforeAll(async () => {
  world = await ingestWorld(services(), 'dashboard');
  Object.assign(world.env, { TIME_ZONE: 'UTC', ROLLUP_RATES: 'CNY=0.143' });
  [worker, collector, browser] = await Promise.all([
    world.startWorker(),
    startTestCollector(services().kafkaBrokers, { label: 'dashboard_collector', settings: { topics: { events: world.topics.events, deadLetter: world.topics.eventsDeadLetter } } }),
    launchChromium(),
  ]);
  await send([...sim.messages.filter((m) => !isHotLeads(m)), ...history.messages].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp)));
  const exec = serverExecutor(world.clickhouse);
  await runRollup(exec, { database: world.ns, asOf: now, settings: rollupSettings({ rates: { CNY: 0.143 } }) });
  api = await startTestApi(world, { tokens: [{ name: 'mei', token: TOKEN, scopes: ['leads:read', 'analytics:read'] }], rules });
  await api.api.ranking.sweep();
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, locale: 'en-US' });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await collector?.close();
  await worker?.stop();
  await world?.close();
});

describe('the dashboard a salesperson opens in the morning', () => {
  it('shows nothing of a lead without a token, and logs in with one', async () => {
    await page.goto(`${base}/dashboard/`);
    await page.locator('form[data-testid=login]').waitFor();
    expect(await page.locator('[data-testid=hot-row]').count()).toBe(0);
    await page.fill('#token', 'tok_wrong_0123456789abcdef');
    await page.click('#login-submit');
    await page.locator('[data-testid=login-error]').waitFor();
    await page.fill('#token', TOKEN);
    await page.click('#login-submit');
    await page.locator('body[data-ready=hot]').waitFor();
    expect(await page.locator('[data-testid=whoami]').innerText()).toContain('mei');
  });

  it('puts a lead on "Hot now" the moment its pricing streak completes, without a reload', async () => {
    await page.locator('[data-testid=live-status][data-state=open]').waitFor();
    expect(await page.locator(`[data-testid=hot-row][data-lead="${hotLead}"]`).count()).toBe(0);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
    await send(sim.messages.filter((m) => isHotLeads(m)));
    const row = page.locator(`[data-testid=hot-row][data-lead="${hotLead}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.locator('[data-testid=action]').innerText(), { timeout: 30_000 }).toBe('call today');
    expect(await row.locator('[data-testid=why]').innerText()).toContain('pricing-page');
    expect(navigations).toEqual([]);
    await screenshot('hot-now');
  });

  it('opens the lead\'s portrait with the reason and the heat chart', async () => {
    await page.locator(`[data-testid=hot-row][data-lead="${hotLead}"] a[href^="#/lead/"]`).first().click();
    await page.locator('body[data-ready=lead]').waitFor();
    expect(await page.locator('[data-testid=why-hot]').innerText()).toContain('pricing-page');
    await page.locator('[data-testid=heat-chart][data-rendered="1"] canvas').first().waitFor();
    expect(await page.locator('[data-testid=ledger]').innerText()).toContain('pricing-page');
    expect(await page.locator('[data-testid=alerts]').innerText()).toContain('pricing-streak');
    await screenshot('lead');
  });

  it('opens its company and shows the buying group\'s missing roles', async () => {
    await page.click('a[data-testid=company-link]');
    await page.locator('body[data-ready=company]').waitFor();
    const company = decodeURIComponent(new URL(page.url()).hash.replace('#/company/', ''));
    const answer = (await (await fetch(`${base}/companies/${encodeURIComponent(company)}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { buyingGroup: { missing: string[] } };
    expect(answer.buyingGroup.missing.length).toBeGreaterThan(0);
    const shown = await page.locator('[data-testid=roles-missing] [data-role]').evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
    expect([...new Set(shown)].sort()).toEqual([...answer.buyingGroup.missing].sort());
    await page.locator('[data-testid=company-heat-chart][data-rendered="1"] canvas').first().waitFor();
    await screenshot('company');
  });

  it('shows the same company page in Chinese after the switch, and remembers the choice', async () => {
    const keys = labelKeys(await headings());
    expect(keys.length).toBeGreaterThan(2);
    await page.selectOption('select[data-testid=lang]', 'zh-CN');
    await expect.poll(() => page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await page.locator('body[data-ready=company]').waitFor();
    const zh = (await headings()).map((t) => t.trim());
    for (const key of keys) expect(zh, key).toContain((messages['zh-CN'] as Record<string, string>)[key]);
    await page.reload();
    await page.locator('body[data-ready=company]').waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await page.selectOption('select[data-testid=lang]', 'en');
  });

  it('shows analysts the RFM grid and the lifecycle funnel with the SQL behind each', async () => {
    await page.goto(`${base}/dashboard/#/analyst`);
    await page.locator('body[data-ready=analyst]').waitFor();
    await page.locator('[data-testid=rfm-grid] canvas').first().waitFor();
    await page.locator('[data-testid=lifecycle-funnel] canvas').first().waitFor();
    const sql = await page.locator('pre[data-testid=sql]').allInnerTexts();
    expect(sql.join('\n')).toContain('FROM lead_rfm');
    expect(sql.join('\n')).toContain('FROM rollup_leads');
    expect(await page.locator('a[data-testid=analysts-doc]').getAttribute('href')).toBe('/dashboard/analysts.md');
    await screenshot('analyst');
  });
});

describe('the dashboard with 100,000 leads behind it', () => {
  const ns = testNamespace('dashboard_load');
  let loadApi: TestApi;
  let loadBase: string;

  beforeAll(async () => {
    await seedSyntheticLeads(world.redis, ns, { leads: 100_000, now: now.getTime(), rules });
    loadApi = await startTestApi(world, { namespace: ns, tokens: [{ name: 'mei', token: TOKEN, scopes: ['leads:read'] }], rules });
    await loadApi.api.ranking.sweep();
    loadBase = await loadApi.app.listen({ host: '127.0.0.1', port: 0 });
  }, 300_000);

  afterAll(async () => {
    await loadApi?.close();
    assertTestNamespace(ns);
    let cursor = '0';
    do {
      const [next, keys] = await world.redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await world.redis.unlink(...keys);
    } while (cursor !== '0');
  }, 120_000);

  it('loads "Hot now" in under a second, from a fresh tab', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await context.addInitScript(`sessionStorage.setItem('leadscore.token', ${JSON.stringify(TOKEN)})`);
    const tab = await context.newPage();
    const loads: number[] = [];
    for (let i = 0; i < 3; i++) {
      // A real load each time (another document first: the same address would only move to its hash).
      await tab.goto('about:blank');
      await tab.goto(`${loadBase}/dashboard/#/hot`);
      await tab.locator('body[data-ready=hot]').waitFor();
      loads.push(Number(await tab.evaluate("performance.getEntriesByName('leadscore:hot-rendered')[0]?.startTime ?? NaN")));
    }
    const rows = await tab.locator('[data-testid=hot-row]').count();
    await context.close();
    process.stdout.write(`dashboard: "Hot now" rendered ${rows} rows of 100,000 leads in ${loads.map((ms) => `${Math.round(ms)} ms`).join(', ')} (navigation start to the first page drawn; the first load with an empty cache)\n`);
    expect(rows).toBeGreaterThan(0);
    for (const ms of loads) expect(ms).toBeLessThan(1_000);
  });
});
