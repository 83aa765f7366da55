import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, serverExecutor } from '@leadscore/clickhouse';
import { loadConfig } from '@leadscore/config';
import type { HotLeadJob, TrackedEvent } from '@leadscore/events';
import { createInsertCoalescer } from '@leadscore/ingest/src/insert-coalescer.ts';
import { createIngestMetrics } from '@leadscore/ingest/src/metrics.ts';
import { createScoringPath, scoringSettingsOf } from '@leadscore/ingest/src/scoring-path.ts';
import { createWarehouse, monthOf } from '@leadscore/ingest/src/warehouse.ts';
import { ingestWorld, tracked, type IngestWorld } from '@leadscore/ingest/test/support.ts';
import { createLogger } from '@leadscore/log';
import { allLastSeenIndexKeys, definePortraitScripts, isLeadProfile, profileKeys, readAlertMarkers, readPortrait, resolveProfile } from '@leadscore/portrait';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { deliveryOrder, simulate } from '@leadscore/simulator';
import { services } from '@leadscore/tests/support/services.ts';
import type { KafkaMessage } from 'kafkajs';
import { encodeEvent } from '@leadscore/events';
import { backtest } from '../src/backtest.ts';
import { checkPortraits } from '../src/rescore.ts';
import { alertKeys, type DayEnd } from '../src/report.ts';

/**
 * A backtest runs the live scoring path: the simulator's traffic fed through the live path in event-time order with
 * a clock set to event time (the reference, its outbox markers), then backtested from the rows ClickHouse kept, in
 * other batches, gives exactly the same (lead, rule, window) firings.
 */
const now = Date.now();
const rules = parseRules(defaultRules, { money: { currency: 'USD', rates: { CNY: 0.143 } } });
const sim = simulate({ seed: 'backtest', now, companies: 8, weeks: 3 });
const log = createLogger({ service: 'backtest-test', level: 'silent', namespace: 'test' });
let world: IngestWorld;
let settings: ReturnType<typeof scoringSettingsOf>;
const fired: HotLeadJob[] = [];
let lastDay: DayEnd | undefined;
const events: TrackedEvent[] = deliveryOrder(sim.messages, 7)
  .map((m) => tracked(m as unknown as Record<string, unknown>))
  .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));

beforeAll(async () => {
  world = await ingestWorld(services(), 'backtest');
  await migrate(serverExecutor(world.clickhouse), { database: world.ns });
  settings = scoringSettingsOf(loadConfig({ ...process.env, NAMESPACE: world.ns, TIME_ZONE: 'UTC', ROLLUP_RATES: 'CNY=0.143' }));
  // The live path, in-process, one event at a time with the clock at its time: as if each had arrived as it happened.
  let clock = 0;
  const live = createScoringPath(settings, {
    redis: world.redis,
    scripts: definePortraitScripts(world.redis),
    rules: () => rules,
    alerts: { addBulk: async (jobs) => (fired.push(...jobs.map((j) => j.data as HotLeadJob)), []) },
    warehouse: createWarehouse(createInsertCoalescer(world.clickhouse, { lingerMs: 0, partitionOf: monthOf }), world.clickhouse, world.ns),
    sendDeadLetters: async () => {},
    metrics: createIngestMetrics(),
    log,
    now: () => clock,
  });
  for (let i = 0; i < events.length; i += 1) {
    const batch = events.slice(i, i + 1);
    clock = Date.parse((batch.at(-1) as TrackedEvent).timestamp);
    await live.processBatch({ topic: 't', partition: 0, messages: batch.map((e, k) => ({ ...encodeEvent(e), offset: String(i + k) }) as unknown as KafkaMessage), highWatermark: '0' });
  }
}, 240_000);

afterAll(async () => {
  await world?.close();
});

describe('a backtest of the rules that are live', () => {
  it('fires exactly the (lead, rule, window) set the live path fired: streaks, tier crossings, forms, buying groups', async () => {
    // The reference: what the live outbox marked and released. Markers of the last week are still kept (older ones
    // are pruned as the clock moves on); every one of them is a released job.
    // Leads as they are at the end: a provisional email lead later linked into its user is that user.
    const resolved = new Map(await Promise.all(fired.map(async (j) => [j.lead, j.lead.startsWith('c:') ? j.lead : await resolveProfile(world.redis, world.ns, j.lead)] as const)));
    const reference = alertKeys(fired.map((j) => ({ lead: resolved.get(j.lead) as string, rule: j.rule, window: j.window, at: 0 })));
    const subjects = [...new Set(fired.map((j) => j.lead))];
    const markers = (await Promise.all(subjects.map(async (s) => (await readAlertMarkers(world.redis, world.ns, s)).map((m) => ({ lead: s, rule: m.rule, window: m.window, at: 0 }))))).flat();
    expect(markers.length).toBeGreaterThan(0);
    for (const key of alertKeys(markers.map((m) => ({ ...m, lead: resolved.get(m.lead) as string })))) expect(reference).toContain(key);
    expect(new Set(fired.map((j) => j.kind))).toEqual(new Set(['streak', 'tier', 'form', 'buying_group']));

    const report = await backtest(
      { redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings, log },
      { rules, fromMs: Date.parse((events[0] as TrackedEvent).timestamp), toMs: now + 1, warmupMs: 0, horizonMs: 30 * 86_400_000, conversionEvents: [], daily: true },
    );
    expect(alertKeys(report.alerts.list)).toEqual(reference);
    expect(report.events).toBe(events.length);
    lastDay = report.days.at(-1);
  });

  it('reports the same alerts, days and figures in one lane as in eight', async () => {
    const options = { rules, fromMs: Date.parse((events[0] as TrackedEvent).timestamp), toMs: now + 1, warmupMs: 0, horizonMs: 30 * 86_400_000, conversionEvents: [], daily: true };
    const deps = { redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings, log };
    const serial = await backtest(deps, { ...options, lanes: 1 });
    const wide = await backtest(deps, { ...options, lanes: 8 });
    expect(wide.alerts).toEqual(serial.alerts);
    expect(wide.days).toEqual(serial.days);
    expect(wide.effectiveness).toEqual(serial.effectiveness);
  });

  it('counts the leads per tier and grade at a day\'s end as the live portraits read then', async () => {
    const end = Date.parse(lastDay?.at ?? '');
    const tiers: Record<string, number> = {};
    const grades: Record<string, number> = {};
    for (const key of allLastSeenIndexKeys(world.ns)) {
      for (const lead of (await world.redis.zrange(key, 0, -1)).filter(isLeadProfile)) {
        const p = await readPortrait(world.redis, world.ns, lead, rules, end);
        tiers[p.tier] = (tiers[p.tier] ?? 0) + 1;
        grades[p.grade] = (grades[p.grade] ?? 0) + 1;
      }
    }
    expect(lastDay).toMatchObject({ tiers, grades });
  });

  it('leaves nothing of its scratch namespace behind and touches nothing live', async () => {
    expect(await world.redis.keys(`${world.ns}:backtest:*`)).toEqual([]);
  });
});

describe('a rescore\'s dry run', () => {
  it('rebuilds every lead from the stored events equal to its live portrait, field by field', async () => {
    const check = await checkPortraits({ redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings, log }, { rules, now });
    expect(check.leads).toBeGreaterThan(20);
    expect(check.differing).toEqual([]);
    expect(check.identical).toBe(check.leads);
    expect(await world.redis.keys(`${world.ns}:rescore:*`)).toEqual([]);
  });

  it('names the fields of a lead whose live portrait lost writes', async () => {
    const lead = fired.find((j) => j.lead.startsWith('u:'))?.lead as string;
    const key = profileKeys(world.ns, lead).ledger;
    const kept = await world.redis.lrange(key, 0, -1);
    await world.redis.ltrim(key, 1, -1);
    try {
      const check = await checkPortraits({ redis: world.redis, clickhouse: world.clickhouse, database: world.ns, settings, log }, { rules, now, leads: [lead] });
      expect(check.differing).toEqual([{ lead, fields: ['ledger'] }]);
    } finally {
      await world.redis.del(key);
      await world.redis.rpush(key, ...kept);
    }
  });
});
