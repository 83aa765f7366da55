import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { TrackedEvent } from '@leadscore/events';
import { allLastSeenIndexKeys, BOUNDS, companyKeys, definePortraitScripts, profileKeys, readCompany, readProfile, runSteps, type PortraitLayout } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { portraitWriters, testLayout, tracked } from './support.ts';

/**
 * What Redis keeps per lead and company is bounded: each structure has a cap or an expiry (README, "What the ingest
 * workers keep"). Writers straight on Redis, with `now` set so that time can pass.
 */
const DAY = 86_400_000;
const END = Date.parse('2026-11-25T12:00:00Z');
let writers: ReturnType<typeof portraitWriters>;
let redis: Redis;
let n = 0;
beforeAll(() => {
  writers = portraitWriters(services().redisUrl);
  redis = writers.redis;
});
afterAll(() => writers.close());

const event = (raw: Record<string, unknown>, at: number): TrackedEvent => tracked({ messageId: `b-${++n}`, timestamp: new Date(at).toISOString(), ...raw }, new Date(at));
/** Writes each event as a live worker would: processed a second after it happened. */
async function live(ns: string, events: readonly TrackedEvent[], layout: Partial<PortraitLayout> = {}) {
  for (const e of events) await writers.writer(ns, { layout, now: () => Date.parse(e.timestamp) + 1000 }).write([e]);
}
const memory = async (key: string) => Number((await redis.memory('USAGE', key)) ?? 0);

describe('a lead in Redis', () => {
  it('keeps its state, traits and dedup window within 1 KB after 50 events in 30 days', async () => {
    const ns = writers.namespace('mem');
    const user = 'crm-0042-7f3a9c1e'; // ids of this length are common (CRM and database keys)
    const paths = ['/pricing', '/docs', '/case-studies/a', '/blog/x', '/pricing', '/features'];
    const events = Array.from({ length: 50 }, (_, i) => {
      const at = END - 30 * DAY + Math.floor((i * 30 * DAY) / 50);
      if (i === 0) return event({ type: 'identify', userId: user, traits: { email: 'ann@acme.example', name: 'Ann Lee', title: 'VP Engineering', company: 'Acme', phone: '+1 555 0100' } }, at);
      if (i % 10 === 5) return event({ type: 'track', userId: user, event: 'Form Submitted', properties: { form_id: 'demo-request', email: 'ann@acme.example', budget: '100k+', timeline: 'this quarter' } }, at);
      return event({ type: 'page', userId: user, context: { page: { path: paths[i % paths.length] }, groupId: 'acme' } }, at);
    });
    await live(ns, events, { dedupWindowMs: 7 * DAY });
    const k = profileKeys(ns, `u:${user}`);
    const [state, traits, seen] = await Promise.all([memory(k.state), memory(k.traits), memory(k.seen)]);
    expect(state + traits + seen).toBeLessThanOrEqual(1024);
    expect((await readProfile(redis, ns, `u:${user}`)).events).toBe(50);
  });

  it('keeps no history log when it is a known user (nothing is ever linked into a user)', async () => {
    const ns = writers.namespace('nolog');
    await live(ns, [event({ type: 'page', userId: 'ann', context: { page: { path: '/pricing' } } }, END)]);
    expect(await redis.exists(profileKeys(ns, 'u:ann').log)).toBe(0);
  });

  it('keeps the trait names it stated first, up to the cap, and still updates their values', async () => {
    const ns = writers.namespace('traits');
    const many = Object.fromEntries(Array.from({ length: BOUNDS.traitCap + 20 }, (_, i) => [`t${String(i).padStart(3, '0')}`, i]));
    await live(ns, [event({ type: 'identify', userId: 'ann', traits: many }, END - DAY), event({ type: 'identify', userId: 'ann', traits: { t000: 'new', extra: 1 } }, END)]);
    const p = await readProfile(redis, ns, 'u:ann');
    expect(Object.keys(p.traits)).toHaveLength(BOUNDS.traitCap);
    expect(p.traits.t000?.value).toBe('new');
    expect(p.traits.extra).toBeUndefined();
  });

  it('remembers the newest order ids up to the cap, by event time', async () => {
    const ns = writers.namespace('orders');
    const orderCap = 5;
    const orders = Array.from({ length: 8 }, (_, i) => event({ type: 'track', userId: 'ann', event: 'Order Completed', properties: { order_id: `o-${i}`, revenue: 10 } }, END - (8 - i) * DAY));
    await live(ns, orders, { orderCap });
    expect(await redis.zrange(profileKeys(ns, 'u:ann').orders, 0, -1)).toEqual(['o-3', 'o-4', 'o-5', 'o-6', 'o-7']);
    expect((await readProfile(redis, ns, 'u:ann')).revenue).toEqual({ USD: 80 });
  });

  it('keeps the newest score ledger lines up to the cap', async () => {
    const ns = writers.namespace('ledger');
    const ledgerCap = 3;
    const pages = Array.from({ length: 5 }, (_, i) => event({ type: 'page', userId: 'ann', context: { page: { path: '/pricing' } } }, END - (5 - i) * 60_000));
    await live(ns, pages, { ledgerCap });
    const lines = (await redis.lrange(profileKeys(ns, 'u:ann').ledger, 0, -1)).map((l) => (JSON.parse(l) as { m: string }).m);
    expect(lines).toEqual(pages.slice(2).map((e) => e.messageId));
  });

  it("keeps a visitor's newest contributions up to the log cap, to replay into its lead", async () => {
    const ns = writers.namespace('log');
    const pages = Array.from({ length: 5 }, (_, i) => event({ type: 'page', anonymousId: 'anon-log', context: { page: { path: '/docs' } } }, END - (5 - i) * 60_000));
    await live(ns, pages, { logCap: 2 });
    const log = (await redis.lrange(profileKeys(ns, 'a:anon-log').log, 0, -1)).map((l) => (JSON.parse(l) as { m: string }).m);
    expect(log).toEqual(pages.slice(3).map((e) => e.messageId));
  });

  it('forgets message ids older than the dedup window', async () => {
    const ns = writers.namespace('dedup');
    const e = event({ type: 'page', userId: 'ann' }, END);
    await writers.writer(ns, { now: () => END }).write([e]);
    const again = await writers.writer(ns, { now: () => END + 2 * DAY }).write([e]);
    // The dedup window of these writers is a day: a replay two days later counts again (README: choose the window).
    expect(again.applied).toBe(1);
    // In bytes: the window is binary, which read as UTF-8 text can come back shorter.
    expect((await redis.getBuffer(profileKeys(ns, 'u:ann').seen))?.length).toBe(10);
  });

  it('keeps at most the cap of linked profiles', async () => {
    const ns = writers.namespace('from');
    const linkedFromCap = 3;
    await live(ns, Array.from({ length: 5 }, (_, i) => event({ type: 'identify', userId: 'ann', anonymousId: `v-${i}` }, END + i)), { linkedFromCap });
    expect(await redis.scard(profileKeys(ns, 'u:ann').from)).toBe(3);
  });
});

describe('a visitor in Redis', () => {
  it('expires after the visitor ttl unless it comes back', async () => {
    const ns = writers.namespace('visitor');
    await live(ns, [event({ type: 'page', anonymousId: 'v-1', context: { page: { path: '/docs' } } }, END)], { visitorTtlMs: 30 * DAY });
    const k = profileKeys(ns, 'a:v-1');
    for (const key of [k.state, k.seen, k.log]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(29 * DAY);
      expect(ttl).toBeLessThanOrEqual(30 * DAY);
    }
  });

  it('is not in the last-seen index (only leads go quiet)', async () => {
    const ns = writers.namespace('index');
    await live(ns, [event({ type: 'page', anonymousId: 'v-1' }, END), event({ type: 'page', userId: 'ann' }, END)]);
    const members = (await Promise.all(allLastSeenIndexKeys(ns).map((key) => redis.zrange(key, 0, -1)))).flat();
    expect(members).toEqual(['u:ann']);
  });

  it('once merged into its lead, keeps only its link, with an expiry', async () => {
    const ns = writers.namespace('merged');
    await live(ns, [event({ type: 'page', anonymousId: 'v-1', context: { page: { path: '/pricing' } } }, END - DAY), event({ type: 'identify', userId: 'ann', anonymousId: 'v-1' }, END)]);
    const k = profileKeys(ns, 'a:v-1');
    expect(await redis.exists(k.log, k.seen, k.traits, k.ledger, k.orders)).toBe(0);
    expect(await redis.hget(k.state, 'linked_to')).toBe('u:ann');
    expect(await redis.pttl(k.state)).toBeGreaterThan(0);
  });
});

describe("a visitor's history", () => {
  it('is counted once in its lead, however often the link is said again, also after the dedup window', async () => {
    const ns = writers.namespace('history');
    const pricing = event({ type: 'page', anonymousId: 'v-1', context: { page: { path: '/pricing' } } }, END - 2 * DAY);
    const identify = event({ type: 'identify', userId: 'ann', anonymousId: 'v-1' }, END - DAY);
    await writers.writer(ns, { now: () => END - DAY }).write([pricing, identify]);
    // analytics.js sends both ids on every call after identify; a worker started afresh (no cache) a week later.
    const later = event({ type: 'page', userId: 'ann', anonymousId: 'v-1', context: { page: { path: '/docs' } } }, END + 7 * DAY);
    await writers.writer(ns, { now: () => END + 7 * DAY }).write([later]);
    const ann = await readProfile(redis, ns, 'u:ann');
    expect(ann.counts).toEqual({ page: 2, identify: 1 });
    expect(await redis.hget(profileKeys(ns, 'u:ann').state, 'bt:pricing-interest')).toBeTruthy();
  });

  it('is not asked for again once the worker knows it merged', async () => {
    const ns = writers.namespace('history_cached');
    const writer = writers.writer(ns, { now: () => END });
    await writer.write([event({ type: 'identify', userId: 'ann', anonymousId: 'v-1' }, END - DAY)]);
    const next = await writer.write([event({ type: 'page', userId: 'ann', anonymousId: 'v-1' }, END)]);
    // No link step (it would hand back the link's record), no history: the apply and the last-seen index only.
    expect(next.links).toEqual([]);
    expect(next.roundTrips).toBe(2);
  });
});

describe('a company in Redis', () => {
  it("drops buying-group engagements older than the rule's window", async () => {
    const ns = writers.namespace('bg');
    const pricing = (user: string, at: number) => event({ type: 'page', userId: user, context: { groupId: 'acme', page: { path: '/pricing' } } }, at);
    await live(ns, [pricing('old', END - 20 * DAY), pricing('new', END)]);
    const fields = Object.keys(await redis.hgetall(companyKeys(ns, 'acme').bg));
    expect(fields.filter((f) => f.startsWith('buying-group\t'))).toEqual(['buying-group\tu:new']);
  });

  it('keeps its latest members up to the cap', async () => {
    const ns = writers.namespace('members');
    const memberCap = 3;
    await live(ns, Array.from({ length: 5 }, (_, i) => event({ type: 'page', userId: `m${i}`, context: { groupId: 'acme' } }, END + i)), { memberCap });
    expect((await readCompany(redis, ns, 'acme')).members).toEqual(['u:m2', 'u:m3', 'u:m4']);
  });
});

describe('alert markers', () => {
  it('enqueued longer ago than the retention go when the next firing is marked', async () => {
    const ns = writers.namespace('markers');
    const scripts = definePortraitScripts(redis);
    const layout = { ...testLayout(ns), alertFields: [] };
    const mark = (window: string, now: number) =>
      runSteps(redis, scripts, layout, [{ kind: 'markAlert' as const, subject: 'u:ann', ruleId: 'demo-request', window, job: '{}', lastFired: '', retentionMs: 8 * DAY, cap: BOUNDS.markerCap }], now);
    await mark('form-1', END);
    await redis.hset(profileKeys(ns, 'u:ann').alerts, 'alert:demo-request:form-1', `enqueued\t${END}`);
    await mark('form-2', END + 9 * DAY);
    expect(Object.keys(await redis.hgetall(profileKeys(ns, 'u:ann').alerts))).toEqual(['alert:demo-request:form-2']);
  });
});
