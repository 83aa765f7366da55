import type { TrackedEvent } from '@leadscore/events';
import { dateOfDay, localDay } from './days.ts';
import { addHeat, heatContribution, halfLifeKey, tierOf, totalHeat, type HeatState } from './heat.ts';
import { isCounted, matchesEvent, scoreEvent } from './match.ts';
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
  readonly kind: 'streak' | 'tier' | 'form' | 'quiet';
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
