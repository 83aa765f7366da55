import { inReportingCurrency, NO_RATES, orderOf, type Money } from './order.ts';
import type { TrackedEvent } from '@leadscore/events';
import { eventKind } from './contribution.ts';
import type { Tier } from './heat.ts';
import type { AnswerCondition, BehavioralTagRule, BuyingGroupAlert, EventMatch, Grade, Role, Rules, Scalar, TraitCondition, ValueCondition } from './rules.ts';

/**
 * Applying compiled rules to one event or one portrait's traits. Everything here is a pure function of its inputs;
 * the state it needs (event times per tag rule, hit days, previous tiers) is the caller's to keep.
 *
 * Traits are plain values by name (the portrait's trait values, JSON already parsed), person and company merged as
 * the caller sees fit; form answers are expected under `answers` (question → answer).
 */

export type Traits = Readonly<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------------------------
// Values and conditions

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `name` in `source`: the key itself first (keys may contain dots), else a dotted path into nested objects. */
export function lookup(source: unknown, name: string): unknown {
  if (!isRecord(source)) return undefined;
  if (Object.hasOwn(source, name)) return source[name];
  let current: unknown = source;
  for (const part of name.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  // Form fields and traits arrive as text ("250000") as often as numbers.
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function sameValue(expected: Scalar, actual: unknown): boolean {
  if (typeof expected === 'number') return numberOf(actual) === expected;
  if (typeof expected === 'boolean') return actual === expected || (typeof actual === 'string' && actual.toLowerCase() === String(expected));
  if (typeof actual === 'string') return actual.toLowerCase() === expected.toLowerCase();
  return typeof actual === 'number' && String(actual) === expected;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);
}

function scalarHolds(c: ValueCondition, value: unknown): boolean {
  if (c.eq !== undefined && !sameValue(c.eq, value)) return false;
  if (c.in !== undefined && !c.in.some((x) => sameValue(x, value))) return false;
  if (c.matches !== undefined && !((typeof value === 'string' || typeof value === 'number') && c.matches.test(String(value)))) return false;
  if (c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined) {
    const n = numberOf(value);
    if (n === undefined) return false;
    if (c.gt !== undefined && !(n > c.gt)) return false;
    if (c.gte !== undefined && !(n >= c.gte)) return false;
    if (c.lt !== undefined && !(n < c.lt)) return false;
    if (c.lte !== undefined && !(n <= c.lte)) return false;
  }
  return true;
}

/** Whether `value` passes `condition`; a list value (a multi-select answer) passes when one of its items does. */
export function valueHolds(condition: ValueCondition, value: unknown): boolean {
  if (condition.exists !== undefined && present(value) !== condition.exists) return false;
  const { exists: _exists, ...rest } = condition;
  if (Object.values(rest).every((v) => v === undefined)) return true;
  if (!present(value)) return false;
  return Array.isArray(value) ? value.some((item) => scalarHolds(condition, item)) : scalarHolds(condition, value);
}

export function traitHolds(condition: TraitCondition, traits: Traits): boolean {
  return valueHolds(condition, lookup(traits, condition.name));
}

function answerHolds(condition: AnswerCondition, traits: Traits): boolean {
  const answers = traits.answers;
  return valueHolds(condition, isRecord(answers) && Object.hasOwn(answers, condition.question) ? answers[condition.question] : undefined);
}

// ---------------------------------------------------------------------------------------------------------------
// Events

function propertiesOf(event: TrackedEvent): Record<string, unknown> {
  return 'properties' in event && isRecord(event.properties) ? event.properties : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The page's URL (page calls carry it in properties, other calls in context.page) or an email click's link. */
export function eventUrl(event: TrackedEvent): string | undefined {
  const p = propertiesOf(event);
  return text(p.url) ?? text(p.link_url) ?? text(event.context?.page?.url);
}

export function eventPath(event: TrackedEvent): string | undefined {
  const direct = text(propertiesOf(event).path) ?? text(event.context?.page?.path);
  if (direct !== undefined) return direct;
  const url = eventUrl(event);
  if (url === undefined) return undefined;
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

function emailOf(event: TrackedEvent): string | undefined {
  const own = event.type === 'identify' ? lookup(event.traits, 'email') : undefined;
  return text(own) ?? text(lookup(event.context?.traits, 'email')) ?? text(propertiesOf(event).email);
}

function emailDomainOf(event: TrackedEvent): string | undefined {
  const email = emailOf(event);
  const at = email?.lastIndexOf('@') ?? -1;
  return email !== undefined && at >= 0 ? email.slice(at + 1).trim().toLowerCase() : undefined;
}

/** Whether every field of `match` holds for the event. Flags are not looked at here: see `isCounted`. */
export function matchesEvent(match: EventMatch, event: TrackedEvent, money: Money = NO_RATES): boolean {
  if (match.type !== undefined && !match.type.includes(event.type)) return false;
  if (match.event !== undefined && !(event.type === 'track' && match.event.includes(event.event))) return false;
  if (match.kind !== undefined && !match.kind.includes(eventKind(event))) return false;
  if (match.formId !== undefined) {
    const formId = propertiesOf(event).form_id;
    if (!(event.type === 'track' && event.event === 'Form Submitted' && formId !== undefined && formId !== null && match.formId.includes(String(formId)))) return false;
  }
  if (match.url !== undefined) {
    const url = eventUrl(event);
    if (url === undefined || !match.url.test(url)) return false;
  }
  if (match.path !== undefined) {
    const path = eventPath(event);
    if (path === undefined || !match.path.test(path)) return false;
  }
  if (match.properties !== undefined) {
    const properties = propertiesOf(event);
    for (const [name, condition] of Object.entries(match.properties)) if (!valueHolds(condition, lookup(properties, name))) return false;
  }
  if (match.orderValue !== undefined) {
    const order = orderOf(event);
    const value = order === undefined ? undefined : inReportingCurrency(money, order.amount, order.currency);
    if (value === undefined || !valueHolds(match.orderValue, value)) return false;
  }
  if (match.emailDomain !== undefined) {
    const domain = emailDomainOf(event);
    if (domain === undefined || !match.emailDomain.some((d) => domain === d || domain.endsWith(`.${d}`))) return false;
  }
  return true;
}

/**
 * Whether an event counts for scoring at all. Bots, scanners and internal traffic heat no lead, fire no alert and
 * set no behavioral tag unless the rules say `defaults.flaggedScore: true`; callers of `matchesEvent` check this too.
 */
export function isCounted(rules: Rules, event: TrackedEvent): boolean {
  return rules.defaults.flaggedScore || event.flags.length === 0;
}

export interface EventScore {
  readonly weight: number;
  readonly halfLifeMs: number;
  readonly ruleId: string;
}

/** Every weight rule the event matches (they add up), in file order; none for a flagged event. */
export function scoreEvent(rules: Rules, event: TrackedEvent): EventScore[] {
  if (!isCounted(rules, event)) return [];
  const out: EventScore[] = [];
  for (const rule of rules.weights) {
    if (matchesEvent(rule.match, event, rules.money)) out.push({ weight: rule.weight, halfLifeMs: rule.halfLife ?? rules.defaults.halfLife, ruleId: rule.id });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Tags, role, fit

/** How many of `times` fall in (now − within, now]; all up to now when `within` is undefined. Future times do not count yet. */
export function windowCount(times: readonly number[], within: number | undefined, now: number): number {
  let n = 0;
  for (const t of times) if (t <= now && (within === undefined || t > now - within)) n += 1;
  return n;
}

/** Whether a behavioral tag holds, given the times of the (counted) events matching its rule. */
export function behavioralTagHolds(rule: BehavioralTagRule, times: readonly number[], now: number): boolean {
  return windowCount(times, rule.when.within, now) >= rule.when.atLeast;
}

/** The fact and stated tags the traits earn, in file order. */
export function tagsFromTraits(rules: Rules, traits: Traits): string[] {
  const out: string[] = [];
  for (const rule of rules.tags) if (rule.kind !== 'behavioral' && traitHolds(rule.when.trait, traits)) out.push(rule.id);
  return out;
}

/** The quiet tag when the lead's last counted activity is at least `quiet.after` ago; none for a lead never active. */
export function quietTagOf(rules: Rules, lastActiveAt: number | undefined, now: number): string | undefined {
  if (rules.quiet === undefined || lastActiveAt === undefined) return undefined;
  return now - lastActiveAt >= rules.quiet.after ? rules.quiet.tag : undefined;
}

export interface RoleFinding {
  readonly role: Role;
  readonly ruleId: string;
}

/** The buying role by the highest-priority matching role rule (the first in the file among equals). */
export function roleOf(rules: Rules, traits: Traits): RoleFinding | undefined {
  let best: (RoleFinding & { priority: number }) | undefined;
  const title = text(traits.title);
  for (const rule of rules.roles) {
    const w = rule.when;
    if (w.title !== undefined && !(title !== undefined && w.title.test(title))) continue;
    if (w.trait !== undefined && !traitHolds(w.trait, traits)) continue;
    if (w.answer !== undefined && !answerHolds(w.answer, traits)) continue;
    if (best === undefined || rule.priority > best.priority) best = { role: rule.role, ruleId: rule.id, priority: rule.priority };
  }
  return best && { role: best.role, ruleId: best.ruleId };
}

export interface FitInput {
  readonly tags: Iterable<string>;
  readonly role?: Role | undefined;
  readonly traits: Traits;
}

export interface Fit {
  readonly points: number;
  readonly grade: Grade;
  /** Ids of the profile entries that held: why the lead got its grade. */
  readonly matched: string[];
}

export function fitOf(rules: Rules, input: FitInput): Fit {
  const tags = new Set(input.tags);
  let points = 0;
  const matched: string[] = [];
  for (const entry of rules.fit.profile) {
    const w = entry.when;
    if (w.tag !== undefined && !w.tag.some((t) => tags.has(t))) continue;
    if (w.role !== undefined && !(input.role !== undefined && w.role.includes(input.role))) continue;
    if (w.trait !== undefined && !traitHolds(w.trait, input.traits)) continue;
    points += entry.points;
    matched.push(entry.id);
  }
  const { A, B, C } = rules.fit.grades;
  const grade: Grade = points >= A ? 'A' : points >= B ? 'B' : points >= C ? 'C' : 'D';
  return { points, grade, matched };
}

// ---------------------------------------------------------------------------------------------------------------
// Priority and buying groups

const TIER_ORDER: Record<Tier, number> = { hot: 0, warm: 1, cold: 2 };
const GRADE_ORDER: Record<Grade, number> = { A: 0, B: 1, C: 2, D: 3 };

/**
 * Where a lead stands in the call list, 0 (A-hot) first. Fit and heat weigh the same, diagonal by diagonal, and the
 * better fit first within one: A-hot, A-warm, B-hot, A-cold, B-warm, C-hot, … A cold A lead is worth a call, but
 * not before a B lead that is on the pricing page right now.
 */
export function priorityRank(grade: Grade, tier: Tier): number {
  return (GRADE_ORDER[grade] + TIER_ORDER[tier]) * 4 + GRADE_ORDER[grade];
}

export interface Engagement {
  /** The member's buying role, if known; members without one never count. */
  readonly role: Role | undefined;
  /** Event time of a counted event matching the alert's `match`. */
  readonly at: number;
}

/** The distinct listed roles among a company's engagements in (now − within, now], and whether they are enough. */
export function buyingGroupOf(rule: BuyingGroupAlert, engagements: readonly Engagement[], now: number): { met: boolean; roles: Role[] } {
  const seen = new Set<Role>();
  for (const e of engagements) if (e.role !== undefined && rule.roles.includes(e.role) && e.at <= now && e.at > now - rule.within) seen.add(e.role);
  const roles = rule.roles.filter((r, i) => seen.has(r) && rule.roles.indexOf(r) === i);
  return { met: roles.length >= rule.minRoles, roles };
}
