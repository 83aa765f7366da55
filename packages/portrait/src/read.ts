import type { Redis } from 'ioredis';
import { halfLifeKey, totalHeat, type AlertState, type HeatState, type Rules } from '@leadscore/scoring';
import { companyKeys, profileKeys } from './keys.ts';

export interface TraitValue {
  readonly value: unknown;
  /** Event time (ms) of the statement that set it. */
  readonly at: number;
  readonly messageId: string;
}

/** The value of a stored trait ('<event ms>\t<messageId>\t<value JSON>'). */
export function traitValue(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\t', text.indexOf('\t') + 1) + 1));
}

function parseTraits(raw: Record<string, string>): Record<string, TraitValue> {
  const out: Record<string, TraitValue> = {};
  for (const [name, text] of Object.entries(raw)) {
    const first = text.indexOf('\t');
    const second = text.indexOf('\t', first + 1);
    out[name] = { at: Number(text.slice(0, first)), messageId: text.slice(first + 1, second), value: JSON.parse(text.slice(second + 1)) };
  }
  return out;
}

function counters(state: Record<string, string>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(state)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = Number(v);
  return out;
}

/** Heat states by half-life class, from the state hash's heat:<ms>:e / heat:<ms>:s fields. */
export function heatStates(state: Record<string, string>): Record<string, HeatState> {
  const out: Record<string, HeatState> = {};
  for (const [field, value] of Object.entries(state)) {
    const m = /^heat:(\d+):e$/.exec(field);
    if (m) out[m[1] as string] = { era: Number(value), sum: Number(state[`heat:${m[1]}:s`] ?? 0) };
  }
  return out;
}

/** The heat of a portrait at a moment: its classes decayed to `now` and added up. */
export function heatOf(view: { readonly heat: Readonly<Record<string, HeatState>> }, now: number): number {
  return totalHeat(view.heat, now);
}

function optionalNumber(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
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
  const firstSeen = optionalNumber(state.first_seen);
  const lastSeen = optionalNumber(state.last_seen);
  return {
    profileId,
    ...(state.linked_to ? { linkedTo: state.linked_to } : {}),
    events: Number(state.events ?? 0),
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
}

export async function readCompany(redis: Redis, namespace: string, companyId: string): Promise<CompanyView> {
  const keys = companyKeys(namespace, companyId);
  const [state, traits, members] = await Promise.all([redis.hgetall(keys.state), redis.hgetall(keys.traits), redis.smembers(keys.members)]);
  const firstSeen = optionalNumber(state.first_seen);
  const lastSeen = optionalNumber(state.last_seen);
  return {
    companyId,
    events: Number(state.events ?? 0),
    counts: counters(state, 'n:'),
    members: members.sort(),
    revenue: counters(state, 'revenue:'),
    traits: parseTraits(traits),
    heat: heatStates(state),
    ...(firstSeen !== undefined ? { firstSeen } : {}),
    ...(lastSeen !== undefined ? { lastSeen } : {}),
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
 * heat of every half-life class the weights use, each streak rule's days, each rule's last firing. Heat left in a
 * class no weight uses any more is not among them, so it stops counting toward tier alerts when the rules change.
 */
export function alertStateFields(rules: Pick<Rules, 'weights' | 'alerts' | 'defaults'>): string[] {
  const fields = new Set<string>();
  for (const weight of rules.weights) {
    const k = halfLifeKey(weight.halfLife ?? rules.defaults.halfLife);
    fields.add(`heat:${k}:e`).add(`heat:${k}:s`);
  }
  for (const alert of rules.alerts) {
    if (alert.kind === 'streak') fields.add(`sd:${alert.id}`);
    fields.add(`alert_last:${alert.id}`);
  }
  return [...fields];
}

/** What alert rules read of a lead's state hash: heat, streak days by rule, and when each rule last fired. */
export function alertStateOf(state: Record<string, string>): AlertState {
  const streakDays: Record<string, number[]> = {};
  const lastFired: Record<string, { runStart: number; day: number }> = {};
  for (const [field, value] of Object.entries(state)) {
    if (field.startsWith('sd:')) streakDays[field.slice(3)] = value.split(',').map(Number);
    else if (field.startsWith('alert_last:')) {
      const [runStart, day] = value.split('|').map(Number);
      lastFired[field.slice('alert_last:'.length)] = { runStart: runStart as number, day: day as number };
    }
  }
  return { heat: heatStates(state), streakDays, lastFired };
}

/** A flat HGETALL reply ([field, value, …]) as an object. */
export function hashFromReply(reply: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[reply[i] as string] = reply[i + 1] as string;
  return out;
}
