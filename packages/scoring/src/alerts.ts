import { dateOfDay, localDay } from './days.ts';
import { heatHeldUntil, tierOf, totalHeat, withoutTerms, type HeatState } from './heat.ts';
import type { Contribution } from './contribution.ts';
import { buyingGroupOf, roleOf, type Engagement } from './match.ts';
import type { Rules } from './rules.ts';
import { streakDecision } from './streaks.ts';

const DAY_MS = 86_400_000;

/** What the outbox stored when a rule last fired for a subject: the run (or crossing) start, the day, and for
 * crossings (tier, buying group) until when the condition was known to hold then. */
export interface LastFired {
  readonly runStart: number;
  readonly day: number;
  readonly until?: number;
}

/** What a lead's state says that alert rules read: heat by class, streak days by rule, when rules last fired. */
export interface AlertState {
  readonly heat: Readonly<Record<string, HeatState>>;
  readonly streakDays: Readonly<Record<string, readonly number[]>>;
  /** Per rule, the run start and day of its last firing, as `markAlert` stored them. */
  readonly lastFired: Readonly<Record<string, LastFired | undefined>>;
  /** Per crossing rule, until when its condition is known to hold (from the latest judgment that found it holding). */
  readonly heldUntil: Readonly<Record<string, number | undefined>>;
  /** The lead's latest counted activity (event time). */
  readonly lastSeen?: number;
}

/** A rule that fires for a lead now: once per (lead, rule, window), with the reason attached. */
export interface AlertCandidate {
  readonly ruleId: string;
  readonly kind: 'streak' | 'tier' | 'form' | 'quiet' | 'buying_group' | 'stage';
  /** Identifies one firing: a streak's run start, a tier crossing's event, a form's message id, a group's start. */
  readonly window: string;
  readonly action: string;
  readonly evidence: Record<string, unknown>;
  /** Stored with the marker, for the next decision of the rule. */
  readonly lastFired?: LastFired;
}

/** A crossing that still holds: the subject's `held:<rule>` is raised to `until` (it only ever grows). */
export interface Hold {
  readonly ruleId: string;
  readonly until: number;
}

export interface AlertDecision {
  readonly firings: AlertCandidate[];
  readonly holds: Hold[];
  /** Firings a limit held back (a form sent again within its rule's cooldown), for counting. */
  readonly refused?: readonly { readonly ruleId: string; readonly reason: 'cooldown' }[];
}

export interface AlertContext {
  readonly rules: Rules;
  /** What the event contributed (as applied, or replayed from a linked visitor's history). */
  readonly contribution: Contribution;
  /** The lead's state after the contribution was applied. */
  readonly state: AlertState;
  readonly now: number;
  readonly timeZone: string;
  /** Alerts are for the present: an event older than this fires no form or tier alert. */
  readonly freshnessMs: number;
  /**
   * The contribution was judged before, for a provisional lead this lead has taken over: what fired then stands (runs
   * and crossings come over with the provisional lead's alert state), and its form does not fire a second time.
   */
  readonly judgedBefore?: boolean;
}

const NOTHING: AlertDecision = { firings: [], holds: [] };

/** When a crossing was last known to hold: the later of its hold and what its last firing recorded. */
function heldSince(state: { readonly heldUntil: Readonly<Record<string, number | undefined>>; readonly lastFired: Readonly<Record<string, LastFired | undefined>> }, ruleId: string): number | undefined {
  const held = state.heldUntil[ruleId];
  const fired = state.lastFired[ruleId]?.until;
  if (held === undefined) return fired;
  return fired === undefined ? held : Math.max(held, fired);
}

/**
 * The alert rules a contribution makes fire, judged on the lead's state after it and on the present:
 * - a streak whose run is current (its last day today or yesterday in the zone) and long enough, once per run and
 *   after the cooldown;
 * - a tier the lead is in now while active now (latest activity within the freshness), once per crossing: the state
 *   keeps until when the lead is known to stay in the tier (`holds`), and a new firing needs the lead to have
 *   fallen out of it since (then the cooldown);
 * - a form submitted recently, once per lead per the rule's cooldown (one day unless the rules say otherwise).
 * Judged again on a replay with the same answer, and the same firings whatever order the events came in: the
 * outbox markers decide whether a firing was already sent.
 */
export function decideAlerts(ctx: AlertContext): AlertDecision {
  const { rules, contribution: c, state, now } = ctx;
  if (c.f && !rules.defaults.flaggedScore) return NOTHING;
  const zone = rules.timeZone ?? ctx.timeZone;
  const today = localDay(now, zone);
  const fresh = now - c.t <= ctx.freshnessMs;
  const firings: AlertCandidate[] = [];
  const holds: Hold[] = [];
  const refused: { ruleId: string; reason: 'cooldown' }[] = [];
  let heatAfter: number | undefined;
  for (const rule of rules.alerts) {
    if (rule.kind === 'streak') {
      if (!c.sd?.some((hit) => hit.a === rule.id)) continue;
      const days = state.streakDays[rule.id] ?? [];
      const lastFired = state.lastFired[rule.id];
      const decision = streakDecision({ days, n: rule.days, today, cooldownDays: Math.ceil(rule.cooldown / DAY_MS), ...(lastFired ? { lastFired } : {}) });
      if (!decision.fire) continue;
      const run = decision.run;
      firings.push({
        ruleId: rule.id,
        kind: 'streak',
        window: `run-${dateOfDay(run.start)}`,
        action: rule.action,
        evidence: { days: Array.from({ length: run.length }, (_, i) => dateOfDay(run.start + i)), timeZone: zone, consecutiveDays: run.length, needed: rule.days },
        lastFired: { runStart: run.start, day: today },
      });
    } else if (rule.kind === 'tier') {
      // Judged on the lead as it is now, not on this event alone, so the lead that is in the tier and active now
      // fires once whichever of its events came last: a backfill of old events alerts nobody.
      if (state.lastSeen === undefined || now - state.lastSeen > ctx.freshnessMs) continue;
      heatAfter ??= totalHeat(state.heat, now);
      const threshold = rules.tiers[rule.tier];
      if (heatAfter < threshold) continue;
      const until = heatHeldUntil(state.heat, threshold, now);
      const held = heldSince(state, rule.id);
      const lastFired = state.lastFired[rule.id];
      if ((held !== undefined && held >= now) || (lastFired && today - lastFired.day < Math.ceil(rule.cooldown / DAY_MS))) {
        holds.push({ ruleId: rule.id, until });
        continue;
      }
      const heatBefore = totalHeat(withoutTerms(state.heat, c.h ?? []), now);
      firings.push({
        ruleId: rule.id,
        kind: 'tier',
        window: `crossed-${c.m}`,
        action: rule.action,
        evidence: { heatBefore, heatAfter, tierBefore: tierOf(heatBefore, rules.tiers), tier: tierOf(heatAfter, rules.tiers) },
        lastFired: { runStart: today, day: today, until },
      });
    } else if (rule.kind === 'form') {
      if (!fresh || ctx.judgedBefore || !c.fa?.includes(rule.id)) continue;
      // One alert per lead per cooldown, however often the form is sent (a flood from a public key): the others are
      // refused, and counted. The firing's own submission judged again (a redelivery) is the same firing, which the
      // outbox keeps to one job.
      const last = state.lastFired[rule.id]?.until;
      if (last !== undefined && last !== c.t && Math.abs(c.t - last) < rule.cooldown) {
        refused.push({ ruleId: rule.id, reason: 'cooldown' });
        continue;
      }
      firings.push({ ruleId: rule.id, kind: 'form', window: `form-${c.m}`, action: rule.action, evidence: { formId: c.fm, submittedAt: new Date(c.t).toISOString(), ...(c.fs ? { source: c.fs } : {}) }, lastFired: { runStart: today, day: today, until: c.t } });
    }
  }
  return { firings, holds, ...(refused.length > 0 ? { refused } : {}) };
}

/** What a company's state says that buying-group rules read. */
export interface CompanyAlertState {
  /** Per buying-group rule, each member's latest matching engagement (event time). */
  readonly engagements: Readonly<Record<string, readonly { readonly member: string; readonly at: number }[]>>;
  readonly lastFired: Readonly<Record<string, LastFired | undefined>>;
  readonly heldUntil: Readonly<Record<string, number | undefined>>;
}

/**
 * Buying-group signals of a company, after one of its members' events: enough distinct roles of the rule among the
 * members engaged within its window (several roles on pricing this week; the economic buyer engaged). Once per
 * group: a group is met from its newest engagement until the `minRoles`-th newest role's engagement leaves the
 * window; the state keeps that moment (`holds`), and a new firing needs the group to have lapsed before its newest
 * engagement, i.e. to have formed anew (then the cooldown).
 */
export function decideCompanyAlerts(ctx: {
  readonly rules: Rules;
  /** The buying-group rules to judge (those a member's event matched, or all when a member's traits changed), and
   * whether that event was flagged (bots, scanners and internal traffic fire nothing). */
  readonly judge: { readonly ruleIds: readonly string[]; readonly flagged: boolean };
  readonly state: CompanyAlertState;
  /** The members' traits (values), to tell their roles. */
  readonly memberTraits: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly now: number;
  readonly timeZone: string;
}): AlertDecision {
  const { rules, judge, state, now } = ctx;
  if (judge.ruleIds.length === 0 || (judge.flagged && !rules.defaults.flaggedScore)) return NOTHING;
  const zone = rules.timeZone ?? ctx.timeZone;
  const today = localDay(now, zone);
  const firings: AlertCandidate[] = [];
  const holds: Hold[] = [];
  for (const rule of rules.alerts) {
    if (rule.kind !== 'buying_group' || !judge.ruleIds.includes(rule.id)) continue;
    const members: (Engagement & { member: string })[] = (state.engagements[rule.id] ?? []).map(({ member, at }) => ({ member, at, role: roleOf(rules, ctx.memberTraits[member] ?? {})?.role }));
    const group = buyingGroupOf(rule, members, now);
    if (!group.met) continue;
    const engaged = members.filter((m) => m.role !== undefined && group.roles.includes(m.role) && m.at <= now && m.at > now - rule.within);
    const latestByRole = new Map<string, number>();
    for (const m of engaged) latestByRole.set(m.role as string, Math.max(latestByRole.get(m.role as string) ?? -Infinity, m.at));
    const latest = [...latestByRole.values()].sort((a, b) => b - a);
    const newest = latest[0] as number;
    const until = (latest[rule.minRoles - 1] as number) + rule.within;
    const held = heldSince(state, rule.id);
    const lastFired = state.lastFired[rule.id];
    if ((held !== undefined && held >= newest) || (lastFired && today - lastFired.day < Math.ceil(rule.cooldown / DAY_MS))) {
      holds.push({ ruleId: rule.id, until });
      continue;
    }
    firings.push({
      ruleId: rule.id,
      kind: 'buying_group',
      window: `group-${dateOfDay(localDay(newest, zone))}-${newest}`,
      action: rule.action,
      evidence: { roles: group.roles, members: engaged.map((m) => ({ lead: m.member, role: m.role, at: new Date(m.at).toISOString() })) },
      lastFired: { runStart: localDay(newest, zone), day: today, until },
    });
  }
  return { firings, holds };
}
