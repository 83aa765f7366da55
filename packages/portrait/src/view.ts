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
  type Role,
  type Rules,
  type Tier,
} from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { decodeTagTimes } from './compact.ts';
import { profileKeys } from './keys.ts';
import { companyOfState, readCompany, readProfile, type CompanyView, type ProfileView } from './read.ts';
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
 * Evaluates a lead's stored state: heat decayed to `now` and its tier; fact and stated tags from the person's traits
 * and their company's; behavioral tags from the event times kept per rule; the quiet tag; the buying role; the fit
 * grade against the ideal-customer profile; and the priority sales sort by. Tiers and windows are judged at read
 * time, so a lead who went quiet reads cold without any write.
 */
export function portraitView(rules: Rules, profile: ProfileView, state: Record<string, string>, company: CompanyView | undefined, now: number): PortraitView {
  const heat = totalHeat(profile.heat, now);
  const heatByHalfLife = Object.fromEntries(Object.entries(profile.heat).map(([k, s]) => [k, heatAt(s, Number(k), now)]));
  const traits: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(company?.traits ?? {})) traits[name] = t.value;
  for (const [name, t] of Object.entries(profile.traits)) traits[name] = t.value;
  const tags: TagView[] = [];
  const factOrStated = new Set(tagsFromTraits(rules, traits));
  for (const rule of rules.tags) {
    if (rule.kind === 'behavioral') {
      const times = decodeTagTimes(state[`bt:${rule.id}`]);
      if (behavioralTagHolds(rule, times, now)) tags.push({ id: rule.id, kind: 'behavioral' });
    } else if (factOrStated.has(rule.id)) tags.push({ id: rule.id, kind: rule.kind });
  }
  const quiet = quietTagOf(rules, profile.lastSeen, now);
  if (quiet) tags.push({ id: quiet, kind: 'quiet' });
  const role = roleOf(rules, traits);
  const fit = fitOf(rules, { tags: tags.map((t) => t.id), role: role?.role, traits });
  const tier = tierOf(heat, rules.tiers);
  const rollup = decodeRollupVerdict(state.rollup);
  return {
    lead: profile.profileId,
    heat,
    tier,
    heatByHalfLife,
    tags,
    ...(role ? { role } : {}),
    fit,
    grade: fit.grade,
    priority: priorityRank(fit.grade, tier),
    ...(profile.lastSeen !== undefined ? { lastSeen: profile.lastSeen } : {}),
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
