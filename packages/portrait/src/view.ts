import {
  behavioralTagHolds,
  fitOf,
  heatAt,
  priorityRank,
  quietTagOf,
  roleOf,
  tagsFromTraits,
  tierOf,
  totalHeat,
  type Fit,
  type Grade,
  type HeatState,
  type Role,
  type Rules,
  type Tier,
} from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { decodeTagTimes } from './compact.ts';
import { companyKeys, profileKeys } from './keys.ts';
import { companyOfState, heatStates, lastSeenOfState, readCompany, readHashes, readProfile, traitValues, type CompanyView, type ProfileView, type TraitValue } from './read.ts';
import { decodeRollupVerdict, type RollupVerdict } from './rollup-verdict.ts';

export interface TagView {
  readonly id: string;
  readonly kind: 'fact' | 'stated' | 'behavioral' | 'quiet';
}

/** "Who is this, how hot, and why": the portrait as sales read it, evaluated against the rules at `now`. */
export interface PortraitView {
  readonly lead: string;
  readonly heat: number;
  readonly tier: Tier;
  /** Heat by half-life class (ms → heat now): which kinds of activity it comes from. */
  readonly heatByHalfLife: Record<string, number>;
  readonly tags: TagView[];
  readonly role?: { readonly role: Role; readonly ruleId: string };
  readonly fit: Fit;
  readonly grade: Grade;
  /** 0 first: A-hot, A-warm, B-hot, … */
  readonly priority: number;
  readonly lastSeen?: number;
  /** What the latest analysts' snapshot says: lifecycle stage, RFM segment, ABC class. */
  readonly rollup?: RollupVerdict;
  /** The lead this one was merged into (a provisional lead linked into its user, a user merged by hand). */
  readonly linkedTo?: string;
}

/**
 * What the rules make of a lead at `now`: the part of its portrait that depends on its heat, last activity, tag times
 * and the trait values of it and its company, and on nothing else stored. The one definition of the rules' reading,
 * shared by whole portraits and by readers that want only grades and heat (a backtest's day ends).
 */
export type Standing = Omit<PortraitView, 'lead' | 'rollup' | 'linkedTo'>;

export interface StandingInput {
  /** Heat by half-life class (heatStates of the state hash). */
  readonly heat: Readonly<Record<string, HeatState>>;
  readonly lastSeen?: number;
  /** The state hash, for the behavioral tags' event times (`bt:<tag>`). */
  readonly state: Readonly<Record<string, string>>;
  readonly traits: Readonly<Record<string, unknown>>;
  readonly companyTraits: Readonly<Record<string, unknown>>;
}

/**
 * Evaluates a lead: heat decayed to `now` and its tier; fact and stated tags from the person's traits over their
 * company's; behavioral tags from the event times kept per rule; the quiet tag; the buying role; the fit grade
 * against the ideal-customer profile; and the priority sales sort by. Tiers and windows are judged at read time, so
 * a lead who went quiet reads cold without any write.
 */
export function standingOf(rules: Rules, input: StandingInput, now: number): Standing {
  const heat = totalHeat(input.heat, now);
  const heatByHalfLife = Object.fromEntries(Object.entries(input.heat).map(([k, s]) => [k, heatAt(s, Number(k), now)]));
  const traits: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input.companyTraits)) traits[name] = value;
  for (const [name, value] of Object.entries(input.traits)) traits[name] = value;
  const tags: TagView[] = [];
  const factOrStated = new Set(tagsFromTraits(rules, traits));
  for (const rule of rules.tags) {
    if (rule.kind === 'behavioral') {
      const times = decodeTagTimes(input.state[`bt:${rule.id}`]);
      if (behavioralTagHolds(rule, times, now)) tags.push({ id: rule.id, kind: 'behavioral' });
    } else if (factOrStated.has(rule.id)) tags.push({ id: rule.id, kind: rule.kind });
  }
  const quiet = quietTagOf(rules, input.lastSeen, now);
  if (quiet) tags.push({ id: quiet, kind: 'quiet' });
  const role = roleOf(rules, traits);
  const fit = fitOf(rules, { tags: tags.map((t) => t.id), role: role?.role, traits });
  const tier = tierOf(heat, rules.tiers);
  return {
    heat,
    tier,
    heatByHalfLife,
    tags,
    ...(role ? { role } : {}),
    fit,
    grade: fit.grade,
    priority: priorityRank(fit.grade, tier),
    ...(input.lastSeen !== undefined ? { lastSeen: input.lastSeen } : {}),
  };
}

function valuesOf(traits: Readonly<Record<string, TraitValue>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(traits)) out[name] = t.value;
  return out;
}

/** "Who is this, how hot, and why" (see standingOf), with the analysts' verdict and where the lead was merged. */
export function portraitView(rules: Rules, profile: ProfileView, state: Record<string, string>, company: CompanyView | undefined, now: number): PortraitView {
  const standing = standingOf(
    rules,
    { heat: profile.heat, ...(profile.lastSeen !== undefined ? { lastSeen: profile.lastSeen } : {}), state, traits: valuesOf(profile.traits), companyTraits: valuesOf(company?.traits ?? {}) },
    now,
  );
  const rollup = decodeRollupVerdict(state.rollup);
  return {
    lead: profile.profileId,
    ...standing,
    ...(rollup ? { rollup } : {}),
    ...(profile.linkedTo ? { linkedTo: profile.linkedTo } : {}),
  };
}

/** Reads a lead's portrait from Redis and evaluates it at `now`. */
export async function readPortrait(redis: Redis, namespace: string, lead: string, rules: Rules, now: number): Promise<PortraitView & { company?: CompanyView }> {
  const [profile, state] = await Promise.all([readProfile(redis, namespace, lead), redis.hgetall(profileKeys(namespace, lead).state)]);
  const companyId = companyOfState(state);
  const company = companyId ? await readCompany(redis, namespace, companyId) : undefined;
  return { ...portraitView(rules, profile, state, company, now), ...(company ? { company } : {}) };
}

/**
 * Many leads' standings at `now` (see standingOf), in the order given, for readers that want grades and heat of
 * thousands of leads at once (a backtest's day ends) rather than whole portraits: each chunk of leads takes one
 * round trip for their state and trait hashes and one for the traits of companies not read yet in this call (many
 * leads share a company), where readPortrait takes two per lead and also reads linked profiles, the company's state
 * and its members, which a standing does not depend on.
 */
export async function readStandings(redis: Redis, namespace: string, leads: readonly string[], rules: Rules, now: number, chunk = 500): Promise<Map<string, Standing>> {
  const companyTraits = new Map<string, Record<string, unknown>>();
  const out = new Map<string, Standing>();
  for (let i = 0; i < leads.length; i += chunk) {
    const some = leads.slice(i, i + chunk);
    const hashes = await readHashes(redis, some.flatMap((lead) => [profileKeys(namespace, lead).state, profileKeys(namespace, lead).traits]));
    const read = some.map((lead, k) => ({ lead, state: hashes[2 * k] as Record<string, string>, traits: hashes[2 * k + 1] as Record<string, string> }));
    const unread = [...new Set(read.map((r) => companyOfState(r.state)))].filter((c): c is string => !!c && !companyTraits.has(c));
    const fetched = await readHashes(redis, unread.map((c) => companyKeys(namespace, c).traits));
    unread.forEach((c, k) => companyTraits.set(c, traitValues(fetched[k] as Record<string, string>)));
    for (const { lead, state, traits } of read) {
      const company = companyOfState(state);
      out.set(lead, standingOf(rules, standingInputOf(state, traitValues(traits), (company && companyTraits.get(company)) || {}), now));
    }
  }
  return out;
}

/** What standingOf reads of a lead, from its state hash and the trait values of it and its company. */
function standingInputOf(state: Record<string, string>, traits: Record<string, unknown>, companyTraits: Record<string, unknown>): StandingInput {
  const lastSeen = lastSeenOfState(state);
  return { heat: heatStates(state), ...(lastSeen !== undefined ? { lastSeen } : {}), state, traits, companyTraits };
}
