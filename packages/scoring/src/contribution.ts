import { z } from 'zod';
import type { TrackedEvent } from '@leadscore/events';
import { orderOf } from './order.ts';
import { localDay } from './days.ts';
import { halfLifeKey, heatContribution } from './heat.ts';
import { isCounted, matchesEvent, scoreEvent } from './match.ts';
import type { Rules } from './rules.ts';

/** What the portrait counts an event as. */
export const EVENT_KINDS = ['page', 'screen', 'identify', 'group', 'alias', 'email_open', 'email_click', 'form', 'order', 'refund', 'track'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export function eventKind(event: TrackedEvent): EventKind {
  if (event.type !== 'track') return event.type;
  switch (event.event) {
    case 'Email Opened':
      return 'email_open';
    case 'Email Link Clicked':
      return 'email_click';
    case 'Form Submitted':
      return 'form';
    case 'Order Completed':
      return 'order';
    case 'Order Refunded':
      return 'refund';
    default:
      return 'track';
  }
}

/** The form alert rules a "Form Submitted" event fires, and its form id. */
function formAlertsOf(rules: Rules, event: TrackedEvent): { ruleIds: string[]; formId: string } | undefined {
  if (event.type !== 'track' || event.event !== 'Form Submitted') return undefined;
  const formId = event.properties?.form_id;
  if (formId === undefined || formId === null) return undefined;
  const id = String(formId);
  const ruleIds = rules.alerts.flatMap((a) => (a.kind === 'form' && (Array.isArray(a.formId) ? a.formId : [a.formId]).includes(id) ? [a.id] : []));
  return ruleIds.length > 0 ? { ruleIds, formId: id } : undefined;
}

/**
 * An event's contribution to a profile, as the profile's Lua script applies it (and as a merge replays it from the
 * profile's log). Short field names: it is stored once per event in Redis.
 *   m messageId · t event time (ms) · k kind · f flagged (bot, scanner, internal: counted apart, never as activity)
 *   tr traits stated by the event, each value as JSON text (stored as given: Lua's cjson would round numbers)
 *   o order {id, amount, currency}
 *   h heat, one entry per matching weight rule: k half-life class (ms), e era, a amount (see heat.ts)
 *   l the score ledger of the event: r rule id, w weight, hl half-life (ms), v rules version
 *   sd streak hits: a alert rule id, d local day number (in the rules' time zone) on which its pattern was hit
 *   bt behavioral tag hits: g tag rule id, k how many of its newest times the profile keeps (the rule's atLeast)
 *   fa form alert rule ids the event fires, with fm the form's id: a form alert is judged on the contribution alone
 *   bg buying-group alerts whose pattern the event matches: a alert id, w its window (ms), kept per company and
 *      member and pruned once older than the window
 *   co the company the event was about (the lead's company: the latest by event time)
 *   cb on a lead's contribution, the buying-group rules the event engages at its company (as `bg` there), so that a
 *      visitor's history taken over by a lead makes the lead a member with those engagements
 *   s  true when the caller wants the profile's state back (to decide alerts on it)
 * Alert decisions read the contribution, not the event (packages/scoring/src/alerts.ts), so a visitor's history
 * replayed into a lead from its stored contributions is judged like the events it came from.
 */
export const contributionSchema = z.object({
  m: z.string(),
  t: z.number().int(),
  k: z.enum(EVENT_KINDS),
  f: z.boolean(),
  tr: z.record(z.string(), z.string()).optional(),
  o: z.object({ id: z.string(), amount: z.number(), currency: z.string() }).optional(),
  h: z.array(z.object({ k: z.string(), e: z.number().int(), a: z.number() })).optional(),
  l: z.array(z.object({ r: z.string(), w: z.number(), hl: z.number().int(), v: z.string() })).optional(),
  sd: z.array(z.object({ a: z.string(), d: z.number().int() })).optional(),
  bt: z.array(z.object({ g: z.string(), k: z.number().int() })).optional(),
  fa: z.array(z.string()).optional(),
  fm: z.string().optional(),
  /** The source a form came through: form alerts are limited per source too. */
  fs: z.string().optional(),
  co: z.string().optional(),
  bg: z.array(z.object({ a: z.string(), w: z.number().int().positive() })).optional(),
  cb: z.array(z.object({ a: z.string(), w: z.number().int().positive() })).optional(),
  s: z.boolean().optional(),
});
export type Contribution = z.infer<typeof contributionSchema>;

/** Form fields that describe the person, kept as traits. */
const FORM_TRAITS = ['email', 'name', 'first_name', 'last_name', 'phone', 'title', 'company', 'industry', 'size', 'region', 'budget', 'timeline', 'answers'] as const;

function jsonValues(source: Record<string, unknown> | undefined, only?: readonly string[]): Record<string, string> | undefined {
  if (!source) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (only && !only.includes(key)) continue;
    if (value === undefined) continue;
    out[key] = JSON.stringify(value);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function personTraits(event: TrackedEvent): Contribution['tr'] {
  if (event.type === 'identify') return jsonValues({ ...event.context?.traits, ...event.traits });
  if (event.type === 'track' && event.event === 'Form Submitted') return jsonValues(event.properties, FORM_TRAITS);
  return undefined;
}

/**
 * What an event contributes to its profile. With rules, that includes its heat (one term per matching weight rule,
 * scaled as heat.ts explains, so the profile's script only adds) and the ledger lines that explain it.
 */
export function contributionOf(event: TrackedEvent, rules?: Rules, timeZone = 'UTC'): Contribution {
  const kind = eventKind(event);
  const t = Date.parse(event.timestamp);
  const scores = rules ? scoreEvent(rules, event) : [];
  const counted = rules !== undefined && isCounted(rules, event);
  const zone = rules?.timeZone ?? timeZone;
  const tagHits = counted ? rules.tags.flatMap((g) => (g.kind === 'behavioral' && matchesEvent(g.when.match, event, rules.money) ? [{ g: g.id, k: g.when.atLeast }] : [])) : [];
  const streakHits = counted
    ? rules.alerts.flatMap((a) => (a.kind === 'streak' && matchesEvent(a.match, event, rules.money) ? [{ a: a.id, d: localDay(t, zone) }] : []))
    : [];
  const traits = personTraits(event);
  const order = orderOf(event);
  const forms = counted ? formAlertsOf(rules, event) : undefined;
  return {
    m: event.messageId,
    t,
    k: kind,
    f: event.flags.length > 0,
    ...(traits ? { tr: traits } : {}),
    ...(order ? { o: { id: order.id, amount: order.amount, currency: order.currency } } : {}),
    ...(scores.length > 0 && rules
      ? {
          h: scores.map((s) => {
            const c = heatContribution(t, s.weight, s.halfLifeMs);
            return { k: halfLifeKey(s.halfLifeMs), e: c.era, a: c.amount };
          }),
          l: scores.map((s) => ({ r: s.ruleId, w: s.weight, hl: s.halfLifeMs, v: rules.version })),
        }
      : {}),
    ...(streakHits.length > 0 ? { sd: streakHits } : {}),
    ...(tagHits.length > 0 ? { bt: tagHits } : {}),
    ...(forms ? { fa: forms.ruleIds, fm: forms.formId, fs: event.source.id } : {}),
    ...(counted && rules.alerts.length > 0 ? { s: true } : {}),
  };
}

/** What a company takes from an event: its kind and time, and for `group` calls the company's traits. */
export function companyContributionOf(event: TrackedEvent, rules?: Rules, lead?: Contribution): Contribution {
  // The lead's contribution of the same event, when the caller has it: what the company takes from it does not
  // depend on the time zone (streak days are the lead's), so it need not be scored twice.
  const { co: _company, ...base } = lead ?? contributionOf(event, rules);
  const { tr: _personTraits, l: _ledger, sd: _streaks, bt: _tags, s: _state, fa: _forms, fm: _formId, fs: _formSource, ...rest } = base;
  const traits = event.type === 'group' ? jsonValues(event.traits) : undefined;
  const groups = rules && isCounted(rules, event) ? rules.alerts.flatMap((a) => (a.kind === 'buying_group' && matchesEvent(a.match, event, rules.money) ? [{ a: a.id, w: a.within }] : [])) : [];
  return { ...rest, ...(traits ? { tr: traits } : {}), ...(groups.length > 0 ? { bg: groups, s: true } : {}) };
}
