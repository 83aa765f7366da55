import { companyKeys, emailOwnerKey, emailProvisionalKey, lastSeenIndexKey, profileKeys } from '@leadscore/portrait';
import { parseHashTagged } from '@leadscore/redis';
import type { Redis } from 'ioredis';
import { scratchKeys } from './scratch.ts';

/**
 * Putting a rebuilt scratch namespace in force. Scratch keys carry the live keys' hash tags (the namespace is a
 * prefix before the tag), so a scratch key and the live key it replaces are in one Redis Cluster slot and RENAME
 * swaps them atomically.
 */
const liveKeyOf = (ns: string, scratch: string, key: string) => `${ns}:${key.slice(scratch.length + 1)}`;

/** Every rebuilt key renamed over its live one. Returns how many. */
export async function swapAll(redis: Redis, scratch: string, ns: string, onProgress?: (keys: number) => void): Promise<number> {
  let keys = 0;
  for await (const found of scratchKeys(redis, scratch, 1000)) {
    const rename = redis.pipeline();
    for (const key of found) rename.rename(key, liveKeyOf(ns, scratch, key));
    // SCAN may give a key twice; the second RENAME finds it gone, which is no failure.
    for (const [err] of (await rename.exec()) ?? []) if (err && !/no such key/i.test(err.message)) throw err;
    keys += found.length;
    onProgress?.(keys);
  }
  return keys;
}

/** What a rescore of chosen leads and companies rebuilds: their own keys, as the scratch replay left them. */
export interface Chosen {
  /** Leads as the rebuilt namespace resolves them. */
  readonly leads: ReadonlySet<string>;
  readonly companies: ReadonlySet<string>;
}

/** A chosen swap, fixed before it starts (see RescoreRun.plan), so one resumed part way swaps the same keys. */
export interface SwapPlan {
  readonly leads: readonly string[];
  readonly companies: readonly string[];
  /** Every profile the rebuilt namespace resolves to a chosen lead: the lead, its visitors, its provisional email
   * leads, users merged into it. */
  readonly profiles: readonly string[];
  /** Emails the rebuilt namespace gives to a chosen lead. */
  readonly emails: readonly string[];
}

export interface ChosenSwap {
  readonly profiles: number;
  readonly keys: number;
  readonly emails: number;
}

/** Reads the rebuilt namespace's links and email owners: what a swap of the chosen leads and companies moves. */
export async function planChosenSwap(redis: Redis, scratch: string, chosen: Chosen): Promise<SwapPlan> {
  const parents = new Map<string, string>();
  const profiles = new Set<string>();
  const owners: { email: string; owner: string }[] = [];
  for await (const found of scratchKeys(redis, scratch, 1000)) {
    const read = redis.pipeline();
    const asked: { id: string; kind: 'p' | 'email' }[] = [];
    for (const key of found) {
      const parsed = parseHashTagged(scratch, key);
      if (parsed?.kind === 'p' && parsed.suffix === 'state') {
        read.hget(key, 'linked_to');
        asked.push({ id: parsed.id, kind: 'p' });
      } else if (parsed?.kind === 'email' && parsed.suffix === 'owner') {
        read.get(key);
        asked.push({ id: parsed.id, kind: 'email' });
      }
    }
    const replies = asked.length > 0 ? ((await read.exec()) ?? []) : [];
    asked.forEach(({ id, kind }, i) => {
      const [err, value] = replies[i] ?? [];
      if (err) throw err;
      if (kind === 'p') {
        profiles.add(id);
        if (typeof value === 'string') parents.set(id, value);
      } else if (typeof value === 'string') owners.push({ email: id, owner: value });
    });
  }
  const rootOf = (id: string) => {
    let current = id;
    for (let hop = 0; hop < 8 && parents.has(current); hop++) current = parents.get(current) as string;
    return current;
  };
  return {
    leads: [...chosen.leads].sort(),
    companies: [...chosen.companies].sort(),
    profiles: [...profiles].filter((p) => chosen.leads.has(rootOf(p))).sort(),
    emails: owners.filter((o) => chosen.leads.has(rootOf(o.owner))).map((o) => o.email).sort(),
  };
}

/**
 * Swaps in only what a plan names (planChosenSwap), each profile's and company's keys at once (MULTI on its slot:
 * rebuilt keys renamed over the live ones, a live key the rebuild has no copy of deleted); the emails' owners; and
 * the profiles' entries in the last-seen index, set to the rebuilt ones. Everyone else's keys, and the companies not
 * chosen, stay as the workers keep them. Resumable: a profile or company whose rebuilt state is gone was swapped.
 */
export async function swapChosen(redis: Redis, scratch: string, ns: string, plan: SwapPlan): Promise<ChosenSwap> {
  const profileFields = Object.keys(profileKeys(scratch, '')) as (keyof ReturnType<typeof profileKeys>)[];
  const companyFields = Object.keys(companyKeys(scratch, '')) as (keyof ReturnType<typeof companyKeys>)[];
  let keys = 0;
  const swapGroup = async (from: readonly string[], to: readonly string[]) => {
    const exists = redis.pipeline();
    for (const key of from) exists.exists(key);
    const present = ((await exists.exec()) ?? []).map(([err, n]) => {
      if (err) throw err;
      return n === 1;
    });
    if (!present.some(Boolean)) return;
    const tx = redis.multi();
    from.forEach((key, i) => {
      if (present[i]) tx.rename(key, to[i] as string);
      else tx.del(to[i] as string);
    });
    for (const [err] of (await tx.exec()) ?? []) if (err) throw err;
    keys += present.filter(Boolean).length;
  };
  for (const id of plan.profiles) {
    const [from, to] = [profileKeys(scratch, id), profileKeys(ns, id)];
    await swapGroup(profileFields.map((f) => from[f]), profileFields.map((f) => to[f]));
  }
  for (const company of plan.companies) {
    const [from, to] = [companyKeys(scratch, company), companyKeys(ns, company)];
    await swapGroup(companyFields.map((f) => from[f]), companyFields.map((f) => to[f]));
  }
  let emails = 0;
  for (const email of plan.emails) {
    const from = emailOwnerKey(scratch, email);
    if ((await redis.exists(from)) === 0) continue;
    // The owner and whether its claim is provisional, together (one slot per email).
    const [flagFrom, flagTo] = [emailProvisionalKey(scratch, email), emailProvisionalKey(ns, email)];
    const tx = redis.multi().rename(from, emailOwnerKey(ns, email));
    if ((await redis.exists(flagFrom)) === 1) tx.rename(flagFrom, flagTo);
    else tx.del(flagTo);
    for (const [err] of (await tx.exec()) ?? []) if (err) throw err;
    emails++;
  }
  // The last-seen index: each swapped profile's entry as rebuilt (a profile the rebuild does not index, out).
  const scores = redis.pipeline();
  for (const id of plan.profiles) scores.zscore(lastSeenIndexKey(scratch, id), id);
  const rebuilt = plan.profiles.length === 0 ? [] : ((await scores.exec()) ?? []).map(([err, score]) => {
    if (err) throw err;
    return score === null ? undefined : Number(score);
  });
  const index = redis.pipeline();
  plan.profiles.forEach((id, i) => {
    const score = rebuilt[i];
    if (score === undefined) index.zrem(lastSeenIndexKey(ns, id), id);
    else index.zadd(lastSeenIndexKey(ns, id), score, id);
  });
  if (plan.profiles.length > 0) for (const [err] of (await index.exec()) ?? []) if (err) throw err;
  return { profiles: plan.profiles.length, keys, emails };
}
