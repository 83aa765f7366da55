import type { TrackedEvent } from '@leadscore/events';
import { dateOfDay, localDay } from './days.ts';
import { addHeat, heatContribution, halfLifeKey, tierOf, totalHeat, type HeatState } from './heat.ts';
import { buyingGroupOf, isCounted, matchesEvent, roleOf, scoreEvent, type Engagement } from './match.ts';
import type { Rules } from './rules.ts';
import { streakDecision } from './streaks.ts';

const DAY_MS = 86_400_000;

/** What a lead's state says that alert rules read: heat by class, streak days by rule, when rules last fired. */
export interface AlertState {
  readonly heat: Readonly<Record<string, HeatState>>;
  readonly streakDays: Readonly<Record<string, readonly number[]>>;
  /** Per rule, the run start and day of its last firing, as `markAlert` stored them. */
  readonly lastFired: Readonly<Record<string, { readonly runStart: number; readonly day: number } | undefined>>;
}

/** A rule that fires for a lead now: once per (lead, rule, window), with the reason attached. */
export interface AlertCandidate {
  readonly ruleId: string;
  readonly kind: 'streak' | 'tier' | 'form' | 'quiet' | 'buying_group';
  /** Identifies one firing: a streak's run start, a tier crossing's day, a form's message id. */
  readonly window: string;
  readonly action: string;
  readonly evidence: Record<string, unknown>;
  /** Stored with the marker, for the next decision of a streak rule. */
  readonly lastFired?: { readonly runStart: number; readonly day: number };
}

export interface AlertContext {
  readonly rules: Rules;
  readonly event: TrackedEvent;
  /** The lead's state after the event was applied. */
  readonly state: AlertState;
  readonly now: number;
  readonly timeZone: string;
  /** Alerts are for the present: an event older than this fires no form or tier alert. */
  readonly freshnessMs: number;
}

/** The lead's heat at `now` without this event's own terms: what the lead was before it. */
function heatWithout(state: AlertState, event: TrackedEvent, rules: Rules, now: number): number {
  const t = Date.parse(event.timestamp);
  const without: Record<string, HeatState> = { ...state.heat };
  for (const s of scoreEvent(rules, event)) {
    const key = halfLifeKey(s.halfLifeMs);
    const c = heatContribution(t, -s.weight, s.halfLifeMs);
    const current = without[key];
    if (current) without[key] = addHeat(current, c);
  }
  return totalHeat(without, now);
}

/**
 * The alert rules an event makes fire, judged on the lead's state after it and on the present: a streak whose run
 * is current (its last day today or yesterday in the zone) and long enough, once per run and after the cooldown;
 * a tier the lead crosses into with this event and is in now; a form submitted recently. Evaluated again on a
 * replay, with the same answer: the markers decide whether it was already sent.
 */
export function decideAlerts(ctx: AlertContext): AlertCandidate[] {
  const { rules, event, state, now } = ctx;
  if (!isCounted(rules, event)) return [];
  const zone = rules.timeZone ?? ctx.timeZone;
  const today = localDay(now, zone);
  const eventTime = Date.parse(event.timestamp);
  const fresh = now - eventTime <= ctx.freshnessMs;
  const out: AlertCandidate[] = [];
  let heat: { before: number; after: number } | undefined;
  for (const rule of rules.alerts) {
    if (rule.kind === 'streak') {
      if (!matchesEvent(rule.match, event)) continue;
      const days = state.streakDays[rule.id] ?? [];
      const lastFired = state.lastFired[rule.id];
      const decision = streakDecision({ days, n: rule.days, today, cooldownDays: Math.ceil(rule.cooldown / DAY_MS), ...(lastFired ? { lastFired } : {}) });
      if (!decision.fire) continue;
      const run = decision.run;
      out.push({
        ruleId: rule.id,
        kind: 'streak',
        window: `run-${dateOfDay(run.start)}`,
        action: rule.action,
        evidence: { days: Array.from({ length: run.length }, (_, i) => dateOfDay(run.start + i)), timeZone: zone, consecutiveDays: run.length, needed: rule.days },
        lastFired: { runStart: run.start, day: today },
      });
    } else if (rule.kind === 'tier') {
      if (!fresh) continue;
      heat ??= { after: totalHeat(state.heat, now), before: heatWithout(state, event, rules, now) };
      const rank = { cold: 0, warm: 1, hot: 2 } as const;
      const before = tierOf(heat.before, rules.tiers);
      const after = tierOf(heat.after, rules.tiers);
      if (rank[after] < rank[rule.tier] || rank[before] >= rank[rule.tier]) continue;
      const lastFired = state.lastFired[rule.id];
      if (lastFired && today - lastFired.day < Math.ceil(rule.cooldown / DAY_MS)) continue;
      out.push({
        ruleId: rule.id,
        kind: 'tier',
        window: `crossed-${event.messageId}`,
        action: rule.action,
        evidence: { heatBefore: heat.before, heatAfter: heat.after, tierBefore: before, tier: after },
        lastFired: { runStart: today, day: today },
      });
    } else if (rule.kind === 'form') {
      const formIds = Array.isArray(rule.formId) ? rule.formId : [rule.formId];
      const props = event.type === 'track' ? (event.properties ?? {}) : {};
      if (!fresh || event.type !== 'track' || event.event !== 'Form Submitted' || !formIds.includes(String(props.form_id))) continue;
      out.push({ ruleId: rule.id, kind: 'form', window: `form-${event.messageId}`, action: rule.action, evidence: { formId: props.form_id, submittedAt: event.timestamp } });
    }
  }
  return out;
}

/**
 * Buying-group signals of a company, after one of its members' events: enough distinct roles of the rule among
 * the members engaged within its window (several roles on pricing this week; the economic buyer engaged). One firing
 * per group: its window is the day the earliest of the qualifying engagements happened, so a group that formed once
 * fires once; a cooldown spaces new groups out.
 */
export function decideCompanyAlerts(ctx: {
  readonly rules: Rules;
  readonly event: TrackedEvent;
  /** The company's state hash: bg:<alert>:<member> = latest matching event time; alert_last:<alert>. */
  readonly state: Readonly<Record<string, string>>;
  /** The members' traits (values), to tell their roles. */
  readonly memberTraits: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly now: number;
  readonly timeZone: string;
}): AlertCandidate[] {
  const { rules, event, state, now } = ctx;
  if (!isCounted(rules, event)) return [];
  const zone = rules.timeZone ?? ctx.timeZone;
  const today = localDay(now, zone);
  const out: AlertCandidate[] = [];
  for (const rule of rules.alerts) {
    if (rule.kind !== 'buying_group' || !matchesEvent(rule.match, event)) continue;
    const prefix = `bg:${rule.id}:`;
    const members: { member: string; at: number; role: Engagement['role'] }[] = [];
    for (const [field, value] of Object.entries(state)) {
      if (!field.startsWith(prefix)) continue;
      const member = field.slice(prefix.length);
      members.push({ member, at: Number(value), role: roleOf(rules, ctx.memberTraits[member] ?? {})?.role });
    }
    const group = buyingGroupOf(rule, members, now);
    if (!group.met) continue;
    const engaged = members.filter((m) => m.role !== undefined && group.roles.includes(m.role) && m.at <= now && m.at > now - rule.within);
    const last = state[`alert_last:${rule.id}`]?.split('|').map(Number);
    if (last && today - (last[1] as number) < Math.ceil(rule.cooldown / DAY_MS)) continue;
    const since = localDay(Math.min(...engaged.map((m) => m.at)), zone);
    out.push({
      ruleId: rule.id,
      kind: 'buying_group',
      window: `group-${dateOfDay(since)}`,
      action: rule.action,
      evidence: { roles: group.roles, members: engaged.map((m) => ({ lead: m.member, role: m.role, at: new Date(m.at).toISOString() })) },
      lastFired: { runStart: since, day: today },
    });
  }
  return out;
}
