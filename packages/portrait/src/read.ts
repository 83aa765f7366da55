import { decodeRollupVerdict, type RollupVerdict } from './rollup-verdict.ts';
import type { Redis } from 'ioredis';
import { halfLifeKey, totalHeat, type AlertState, type CompanyAlertState, type HeatState, type LastFired, type Rules } from '@leadscore/scoring';
import { decodeStreakDays, fromBase36, toBase36 } from './compact.ts';
import { companyKeys, profileKeys } from './keys.ts';

export interface TraitValue {
  readonly value: unknown;
  /** Event time (ms) of the statement that set it. */
  readonly at: number;
}

/** A trait as the scripts store it: '<event ms, base 36>\t<value JSON>'. */
export function encodeTrait(at: number, value: unknown): string {
  return `${toBase36(at)}\t${JSON.stringify(value)}`;
}

/** The value of a stored trait. */
export function traitValue(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\t') + 1));
}

function parseTraits(raw: Record<string, string>): Record<string, TraitValue> {
  const out: Record<string, TraitValue> = {};
  for (const [name, text] of Object.entries(raw)) {
    const tab = text.indexOf('\t');
    out[name] = { at: fromBase36(text.slice(0, tab)), value: JSON.parse(text.slice(tab + 1)) };
  }
  return out;
}

/** Trait values by name, for rules (roles, tags) that read values only. */
export function traitValues(raw: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(raw)) out[name] = traitValue(text);
  return out;
}

/** Whole hashes in one round trip, in the order of their keys. */
export async function readHashes(redis: Redis, keys: readonly string[]): Promise<Record<string, string>[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  return ((await pipeline.exec()) ?? []).map(([err, hash]) => {
    if (err) throw err;
    return hash as Record<string, string>;
  });
}

/** Several profiles' trait values in one round trip (buying groups read their members' roles from them). */
export async function readTraitValues(redis: Redis, namespace: string, profiles: readonly string[]): Promise<Record<string, Record<string, unknown>>> {
  const hashes = await readHashes(redis, profiles.map((p) => profileKeys(namespace, p).traits));
  const out: Record<string, Record<string, unknown>> = {};
  profiles.forEach((p, i) => {
    out[p] = traitValues(hashes[i] as Record<string, string>);
  });
  return out;
}

/** A line of a profile's score ledger as the scripts keep it: rule, weight, half-life and the event behind it. */
export interface LedgerLine {
  readonly messageId: string;
  /** Event time (ms). */
  readonly at: number;
  readonly ruleId: string;
  readonly weight: number;
  readonly halfLifeMs: number;
  readonly rulesVersion: string;
}

/** A scored event's ledger entry as applyEvent writes it, for seeding portraits (benchmarks, fixtures). */
export function encodeLedgerEntry(lines: readonly LedgerLine[]): string {
  const first = lines[0] as LedgerLine;
  return JSON.stringify({ m: first.messageId, t: first.at, v: first.rulesVersion, l: lines.map((l) => [l.ruleId, l.weight, l.halfLifeMs]) });
}

/** The lines of one ledger entry (one scored event). */
export function parseLedgerEntry(text: string): LedgerLine[] {
  const e = JSON.parse(text) as { m: string; t: number; v: string; l: [string, number, number][] };
  return e.l.map(([ruleId, weight, halfLifeMs]) => ({ messageId: e.m, at: e.t, ruleId, weight, halfLifeMs, rulesVersion: e.v }));
}

/** The ledger lines of a profile's newest `events` scored events, oldest first. */
export async function readLedger(redis: Redis, namespace: string, profile: string, events: number): Promise<LedgerLine[]> {
  return (await redis.lrange(profileKeys(namespace, profile).ledger, -events, -1)).flatMap(parseLedgerEntry);
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Names of state fields that tools outside this package read directly (a benchmark's probes and checks). */
export const STATE_FIELDS = { lastSeen: 'last_seen', linkedTo: 'linked_to' } as const;

/** Events a profile's state hash counts: every kind, flagged ones too. */
export function eventCountOf(state: Readonly<Record<string, string>>): number {
  return total(counters(state, 'n:')) + total(counters(state, 'flagged:'));
}

function counters(state: Record<string, string>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(state)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = Number(v);
  return out;
}

/** The state field of a half-life class's heat: 'h:<half-life ms>' = '<era>,<sum>'. */
export const heatField = (halfLifeKey: string) => `h:${halfLifeKey}`;

/** A heat state as the scripts store it, for seeding portraits. */
export const encodeHeat = (state: HeatState) => `${state.era},${state.sum}`;

/** Heat states by half-life class, from the state hash's h:<ms> fields. */
export function heatStates(state: Record<string, string>): Record<string, HeatState> {
  const out: Record<string, HeatState> = {};
  for (const [field, value] of Object.entries(state)) {
    if (!field.startsWith('h:')) continue;
    const comma = value.indexOf(',');
    out[field.slice(2)] = { era: Number(value.slice(0, comma)), sum: Number(value.slice(comma + 1)) };
  }
  return out;
}

/** The heat of a portrait at a moment: its classes decayed to `now` and added up. */
export function heatOf(view: { readonly heat: Readonly<Record<string, HeatState>> }, now: number): number {
  return totalHeat(view.heat, now);
}

/**
 * A state hash as the scripts would leave it, for seeding portraits in benchmarks and fixtures (the layout is this
 * package's; nothing else writes it by hand).
 */
export function encodeState(view: { readonly firstSeen?: number; readonly lastSeen?: number; readonly counts?: Readonly<Record<string, number>>; readonly company?: { readonly id: string; readonly at: number }; readonly heat?: Readonly<Record<string, HeatState>> }): Record<string, string> {
  const out: Record<string, string> = {};
  if (view.firstSeen !== undefined) out.first_seen = toBase36(view.firstSeen);
  if (view.lastSeen !== undefined) out.last_seen = toBase36(view.lastSeen);
  for (const [kind, n] of Object.entries(view.counts ?? {})) out[`n:${kind}`] = String(n);
  if (view.company) out.company = `${toBase36(view.company.at)}\t${view.company.id}`;
  for (const [k, state] of Object.entries(view.heat ?? {})) out[heatField(k)] = encodeHeat(state);
  return out;
}

/** A time the scripts keep in base 36 (first_seen, last_seen). */
function optionalTime(v: string | undefined): number | undefined {
  return v === undefined ? undefined : fromBase36(v);
}

/** The lead's last counted activity (ms), from its state. */
export function lastSeenOfState(state: Readonly<Record<string, string>>): number | undefined {
  return optionalTime(state.last_seen);
}

/** The companies a lead acted for, newest first, as applyEvent hands them back with a statement of traits. */
export function companiesOfState(state: Readonly<Record<string, string>>): string[] {
  return (state.companies ?? '').split('\t').filter(Boolean);
}

/** The lead's company, from its state: 'company' = '<event ms, base 36>\t<company id>' (the latest by event time). */
export function companyOfState(state: Readonly<Record<string, string>>): string | undefined {
  const value = state.company;
  return value === undefined ? undefined : value.slice(value.indexOf('\t') + 1);
}

export interface ProfileView {
  readonly profileId: string;
  readonly linkedTo?: string;
  readonly events: number;
  /** Activity by kind (page, form, order, …), flagged events apart. */
  readonly counts: Record<string, number>;
  readonly flagged: Record<string, number>;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  readonly revenue: Record<string, number>;
  readonly refunded: Record<string, number>;
  readonly traits: Record<string, TraitValue>;
  readonly linkedFrom: string[];
  /** Heat by half-life class; heatOf(view, now) decays and adds them. */
  readonly heat: Record<string, HeatState>;
}

export async function readProfile(redis: Redis, namespace: string, profileId: string): Promise<ProfileView> {
  const keys = profileKeys(namespace, profileId);
  const [state, traits, from] = await Promise.all([redis.hgetall(keys.state), redis.hgetall(keys.traits), redis.smembers(keys.from)]);
  const firstSeen = optionalTime(state.first_seen);
  const lastSeen = lastSeenOfState(state);
  return {
    profileId,
    ...(state.linked_to ? { linkedTo: state.linked_to } : {}),
    events: eventCountOf(state),
    counts: counters(state, 'n:'),
    flagged: counters(state, 'flagged:'),
    ...(firstSeen !== undefined ? { firstSeen } : {}),
    ...(lastSeen !== undefined ? { lastSeen } : {}),
    revenue: counters(state, 'revenue:'),
    refunded: counters(state, 'refunded:'),
    traits: parseTraits(traits),
    linkedFrom: from.sort(),
    heat: heatStates(state),
  };
}

export interface CompanyView {
  readonly companyId: string;
  readonly events: number;
  readonly counts: Record<string, number>;
  readonly members: string[];
  readonly revenue: Record<string, number>;
  readonly traits: Record<string, TraitValue>;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  readonly heat: Record<string, HeatState>;
  /** What the latest analysts' snapshot says of the company. */
  readonly rollup?: RollupVerdict;
}

export async function readCompany(redis: Redis, namespace: string, companyId: string): Promise<CompanyView> {
  const keys = companyKeys(namespace, companyId);
  const [state, traits, members] = await Promise.all([redis.hgetall(keys.state), redis.hgetall(keys.traits), redis.zrange(keys.members, 0, -1)]);
  const firstSeen = optionalTime(state.first_seen);
  const lastSeen = optionalTime(state.last_seen);
  return {
    companyId,
    events: eventCountOf(state),
    counts: counters(state, 'n:'),
    members: members.sort(),
    revenue: counters(state, 'revenue:'),
    traits: parseTraits(traits),
    heat: heatStates(state),
    ...(firstSeen !== undefined ? { firstSeen } : {}),
    ...(lastSeen !== undefined ? { lastSeen } : {}),
    ...(state.rollup !== undefined && decodeRollupVerdict(state.rollup) ? { rollup: decodeRollupVerdict(state.rollup) as RollupVerdict } : {}),
  };
}

/** Follows links from a profile to the lead it belongs to now (at most a few hops: a: → e: → u:). */
export async function resolveProfile(redis: Redis, namespace: string, profileId: string): Promise<string> {
  let current = profileId;
  for (let hop = 0; hop < 5; hop++) {
    const next = await redis.hget(profileKeys(namespace, current).state, 'linked_to');
    if (!next) return current;
    current = next;
  }
  return current;
}

/**
 * The state fields `alertStateOf` reads under these rules, for a script to hand back instead of the whole hash: the
 * heat of every half-life class the weights use, each streak rule's days, each rule's last firing and hold, the
 * last counted activity (tier alerts want a lead active now) and the lead's company (its buying groups are judged
 * again when the lead's role may change). Heat left in a class no weight uses any more is not among them, so it
 * stops counting toward tier alerts when the rules change.
 */
export function alertStateFields(rules: Pick<Rules, 'weights' | 'alerts' | 'defaults'>): string[] {
  const fields = new Set<string>(['last_seen', 'company']);
  for (const weight of rules.weights) {
    const k = halfLifeKey(weight.halfLife ?? rules.defaults.halfLife);
    fields.add(heatField(k));
  }
  for (const alert of rules.alerts) {
    if (alert.kind === 'streak') fields.add(`sd:${alert.id}`);
    if (alert.kind === 'tier') fields.add(`held:${alert.id}`);
    fields.add(`alert_last:${alert.id}`);
  }
  return [...fields];
}

/** `alert_last:<rule>` as markAlert stores it: '<run start>|<day>[|<held until>]'. */
export function encodeLastFired(f: LastFired): string {
  return [f.runStart, f.day, ...(f.until !== undefined ? [f.until] : [])].join('|');
}

export function parseLastFired(value: string): LastFired {
  const [runStart, day, until] = value.split('|').map(Number);
  return { runStart: runStart as number, day: day as number, ...(until !== undefined && Number.isFinite(until) ? { until } : {}) };
}

/** What alert rules read of a lead's state hash: heat, streak days by rule, when each rule last fired and held. */
export function alertStateOf(state: Record<string, string>): AlertState & { readonly lastSeen?: number } {
  const streakDays: Record<string, number[]> = {};
  const lastFired: Record<string, LastFired> = {};
  const heldUntil: Record<string, number> = {};
  for (const [field, value] of Object.entries(state)) {
    if (field.startsWith('sd:')) streakDays[field.slice(3)] = decodeStreakDays(value);
    else if (field.startsWith('alert_last:')) lastFired[field.slice('alert_last:'.length)] = parseLastFired(value);
    else if (field.startsWith('held:')) heldUntil[field.slice('held:'.length)] = Number(value);
  }
  const lastSeen = optionalTime(state.last_seen);
  return { heat: heatStates(state), streakDays, lastFired, heldUntil, ...(lastSeen !== undefined ? { lastSeen } : {}) };
}

/** What buying-group rules read of a company: the pairs applyCompany and readBuyingGroups hand back. */
export function companyAlertStateOf(groups: Record<string, string>): CompanyAlertState {
  const engagements: Record<string, { member: string; at: number }[]> = {};
  const lastFired: Record<string, LastFired> = {};
  const heldUntil: Record<string, number> = {};
  for (const [field, value] of Object.entries(groups)) {
    if (field.startsWith('bg:')) {
      // bg:<rule>:<member>; rule ids have no ':' (the rules' id pattern), member ids may.
      const rest = field.slice(3);
      const cut = rest.indexOf(':');
      const rule = rest.slice(0, cut);
      (engagements[rule] ??= []).push({ member: rest.slice(cut + 1), at: Number(value) });
    } else if (field.startsWith('alert_last:')) lastFired[field.slice('alert_last:'.length)] = parseLastFired(value);
    else if (field.startsWith('held:')) heldUntil[field.slice('held:'.length)] = Number(value);
  }
  return { engagements, lastFired, heldUntil };
}
