import type { ClickHouseClient } from '@clickhouse/client';
import type { TrackedEvent } from '@leadscore/events';
import type { ScoringSettings } from '@leadscore/ingest/src/scoring-path.ts';
import { claimsOf, emailProfile, anonymousProfile, userProfile } from '@leadscore/identity';
import type { Logger } from '@leadscore/log';
import { allLastSeenIndexKeys, isLeadProfile, readStandings, resolveProfile } from '@leadscore/portrait';
import { dateOfDay, localDay, orderOf, tierOf, type Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { eventsBetween } from './event-source.ts';
import { alertCounts, alertKeys, effectiveness, type AlertRecord, type DayEnd, type Effectiveness } from './report.ts';
import { seedManualMerges } from './manual-merges.ts';
import { createScratchReplay } from './replay.ts';
import { dropScratch, scratchNamespace } from './scratch.ts';

export interface BacktestOptions {
  readonly rules: Rules;
  readonly fromMs: number;
  readonly toMs: number;
  /** Events this long before `from` are replayed first, to warm the portraits; their alerts are not reported. */
  readonly warmupMs: number;
  /** How long after an alert a conversion counts for it. */
  readonly horizonMs: number;
  /** Event names that count as a conversion besides orders (e.g. "Opportunity Created"). */
  readonly conversionEvents: readonly string[];
  /** Leads per tier and grade at each day's end (reads every lead each day). */
  readonly daily: boolean;
  /** Lanes the replay runs side by side (default REPLAY_LANES); the report is the same for any number. */
  readonly lanes?: number;
}

export interface BacktestReport {
  readonly rules: string;
  readonly from: string;
  readonly to: string;
  readonly events: number;
  /** Batches the replay ran them in. */
  readonly batches: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly alerts: { readonly perRule: Record<string, number>; readonly perDay: Record<string, Record<string, number>>; readonly list: readonly AlertRecord[] };
  readonly days: readonly DayEnd[];
  readonly effectiveness: Effectiveness;
}

/**
 * Leads per tier and grade at each day's end. A lead is read again only when its grade may have changed: it had
 * events that day (the last-seen index since the previous day's end), it holds a behavioral tag (its window may have
 * closed), or it may have gone quiet since. Otherwise its grade stands and its heat only decays, which is worked out
 * from what was read last. (A company's traits changing a member's grade without the member acting are seen at the
 * member's next event.)
 */
function dayEndReader(redis: Redis, namespace: string, rules: Rules, report: (end: { day: string; endMs: number; tiers: Record<string, number>; grades: Record<string, number> }) => void) {
  interface Known {
    readonly at: number;
    readonly heat: readonly (readonly [number, number])[];
    readonly grade: string;
    /** Read again at the next day's end whatever happens. */
    readonly volatile: boolean;
  }
  const known = new Map<string, Known>();
  let previous = Number.NEGATIVE_INFINITY;
  return {
    async see(day: string, endMs: number): Promise<void> {
      const again = new Set<string>();
      for (const key of allLastSeenIndexKeys(namespace)) {
        for (const lead of await redis.zrangebyscore(key, Number.isFinite(previous) ? `(${previous}` : '-inf', '+inf')) if (isLeadProfile(lead)) again.add(lead);
      }
      for (const [lead, k] of known) if (k.volatile) again.add(lead);
      for (const [lead, p] of await readStandings(redis, namespace, [...again], rules, endMs)) {
        // Quiet from its last activity plus the rules' `quiet.after`: read again once that falls before the next day's end.
        const quietSoon = rules.quiet !== undefined && p.lastSeen !== undefined && !p.tags.some((t) => t.kind === 'quiet') && p.lastSeen + rules.quiet.after <= endMs + 2 * 86_400_000;
        known.set(lead, { at: endMs, heat: Object.entries(p.heatByHalfLife).map(([hl, h]) => [Number(hl), h] as const), grade: p.grade, volatile: quietSoon || p.tags.some((t) => t.kind === 'behavioral') });
      }
      const tiers: Record<string, number> = {};
      const grades: Record<string, number> = {};
      for (const k of known.values()) {
        const tier = tierOf(k.heat.reduce((sum, [hl, h]) => sum + h * 2 ** (-(endMs - k.at) / hl), 0), rules.tiers);
        tiers[tier] = (tiers[tier] ?? 0) + 1;
        grades[k.grade] = (grades[k.grade] ?? 0) + 1;
      }
      previous = endMs;
      report({ day, endMs, tiers, grades });
    },
  };
}

/** The profile an event speaks for first: its user, else its email, else its visitor. */
function profileOf(event: TrackedEvent): string | undefined {
  const c = claimsOf(event);
  return c.userId ? userProfile(c.userId) : c.email ? emailProfile(c.email) : c.anonymousId ? anonymousProfile(c.anonymousId) : undefined;
}

const isConversion = (event: TrackedEvent, names: ReadonlySet<string>) => orderOf(event) !== undefined || (event.type === 'track' && names.has(event.event));

/**
 * Replays a period's events through the scoring path into a scratch namespace of its own (nothing sent, nothing
 * live touched; removed afterwards) and reports what the rules would have done: alerts, each day's tiers and grades,
 * and precision, recall and lift against the conversions that followed.
 */
export async function backtest(
  deps: { readonly redis: Redis; readonly clickhouse: ClickHouseClient; readonly database: string; readonly settings: ScoringSettings; readonly log: Logger; readonly onProgress?: (done: number, seconds: number) => void },
  options: BacktestOptions,
): Promise<BacktestReport> {
  const scratch = scratchNamespace(deps.settings.namespace, 'backtest');
  const dayOf = (ms: number) => dateOfDay(localDay(ms, deps.settings.timeZone));
  const alerts: AlertRecord[] = [];
  const days: DayEnd[] = [];
  const firstSeen = new Map<string, number>();
  const conversions: { profile: string; at: number }[] = [];
  const names = new Set(options.conversionEvents);
  const dayEnds = dayEndReader(deps.redis, scratch, options.rules, (end) => {
    if (end.endMs >= options.fromMs) days.push({ day: end.day, at: new Date(end.endMs).toISOString(), tiers: end.tiers, grades: end.grades });
  });
  const replay = createScratchReplay({
    redis: deps.redis,
    settings: deps.settings,
    scratch,
    rules: options.rules,
    log: deps.log,
    onAlert: ({ job, at }) => {
      if (at >= options.fromMs) alerts.push({ lead: job.lead, rule: job.rule, window: job.window, at });
    },
    ...(options.daily ? { onDayEnd: (day: string, endMs: number) => dayEnds.see(day, endMs) } : {}),
    ...(options.lanes !== undefined ? { lanes: options.lanes } : {}),
  });
  const began = performance.now();
  async function* watched(): AsyncGenerator<TrackedEvent> {
    for await (const event of eventsBetween(deps.clickhouse, deps.database, options.fromMs - options.warmupMs, options.toMs)) {
      const t = Date.parse(event.timestamp);
      const profile = t >= options.fromMs ? profileOf(event) : undefined;
      if (profile) {
        if (!firstSeen.has(profile)) firstSeen.set(profile, t);
        if (isConversion(event, names)) conversions.push({ profile, at: t });
      }
      yield event;
    }
  }
  try {
    const merges = await seedManualMerges(deps, scratch);
    const events = await replay.replay(watched(), (done) => deps.onProgress?.(done, (performance.now() - began) / 1000), { merges });
    // Profiles to the leads they belong to at the end (a visitor who identified later is that lead; a provisional
    // email lead whose user came later is that user, whichever of the two an alert was fired for, which depends on
    // whether the link and the alert's event shared a batch).
    const leadOf = new Map<string, string>();
    const profiles = [...new Set([...firstSeen.keys(), ...conversions.map((c) => c.profile), ...alerts.map((a) => a.lead).filter(isLeadProfile)])];
    for (let i = 0; i < profiles.length; i += 500) {
      const chunk = profiles.slice(i, i + 500);
      for (const [j, lead] of (await Promise.all(chunk.map((profile) => resolveProfile(deps.redis, scratch, profile)))).entries()) leadOf.set(chunk[j] as string, lead);
    }
    for (const [i, a] of alerts.entries()) if (isLeadProfile(a.lead)) alerts[i] = { ...a, lead: leadOf.get(a.lead) as string };
    const leadFirstSeen = new Map<string, number>();
    for (const [profile, at] of firstSeen) {
      const lead = leadOf.get(profile) as string;
      if (isLeadProfile(lead) && at < (leadFirstSeen.get(lead) ?? Number.POSITIVE_INFINITY)) leadFirstSeen.set(lead, at);
    }
    const leadAlerts = alerts.filter((a) => isLeadProfile(a.lead));
    const seconds = (performance.now() - began) / 1000;
    const sorted = [...alerts].sort((a, b) => a.at - b.at || alertKeys([a])[0]!.localeCompare(alertKeys([b])[0]!));
    return {
      rules: options.rules.version,
      from: new Date(options.fromMs).toISOString(),
      to: new Date(options.toMs).toISOString(),
      events,
      batches: replay.batches,
      seconds,
      eventsPerSecond: events / Math.max(seconds, 1e-9),
      alerts: { ...alertCounts(sorted, dayOf), list: sorted },
      days,
      effectiveness: effectiveness({
        firstSeen: leadFirstSeen,
        alerts: leadAlerts,
        conversions: conversions.map((c) => ({ lead: leadOf.get(c.profile) as string, at: c.at })).filter((c) => isLeadProfile(c.lead)),
        horizonMs: options.horizonMs,
      }),
    };
  } finally {
    await dropScratch(deps.redis, scratch);
  }
}
