import { createHash } from 'node:crypto';
import { hashTagged, hashTagPrefix } from '@leadscore/redis';

/** All keys of one profile share the hash tag {p:<profile id>}, so its scripts run on one Redis Cluster node. */
export function profileKeys(namespace: string, profileId: string): ProfileKeys {
  const cacheKey = `${namespace}\n${profileId}`;
  const cached = recentProfiles.get(cacheKey);
  if (cached) return cached;
  const p = hashTagPrefix(namespace, 'p', profileId);
  const keys = { state: `${p}state`, traits: `${p}traits`, seen: `${p}seen`, orders: `${p}orders`, log: `${p}log`, ledger: `${p}ledger`, from: `${p}from`, alerts: `${p}alerts`, companies: `${p}companies` } as const;
  // The ingest worker asks for the same active leads' keys several times per event; a bounded memo saves building
  // (and collecting) eight strings each time.
  if (recentProfiles.size >= RECENT_PROFILES) recentProfiles.clear();
  recentProfiles.set(cacheKey, keys);
  return keys;
}

export interface ProfileKeys {
  readonly state: string;
  readonly traits: string;
  readonly seen: string;
  readonly orders: string;
  readonly log: string;
  readonly ledger: string;
  /** SET of the profiles linked into this lead. */
  readonly from: string;
  /** HASH of alert outbox markers (see markAlert). */
  readonly alerts: string;
  /** ZSET of the companies the profile acted for, by latest event time. */
  readonly companies: string;
}

const RECENT_PROFILES = 20_000;
const recentProfiles = new Map<string, ProfileKeys>();

export function companyKeys(namespace: string, companyId: string) {
  const key = (suffix: string) => hashTagged(namespace, 'c', companyId, suffix);
  return { state: key('state'), traits: key('traits'), seen: key('seen'), members: key('members'), orders: key('orders'), bg: key('bg'), alerts: key('alerts') };
}

/** Who owns an email address: one key (and slot) per address. */
export function emailOwnerKey(namespace: string, email: string): string {
  return hashTagged(namespace, 'email', email, 'owner');
}

/** Present while the owner's claim of the address is provisional (an untrusted source's): see claimEmail-2.lua. */
export function emailProvisionalKey(namespace: string, email: string): string {
  return hashTagged(namespace, 'email', email, 'provisional');
}

export const INDEX_SHARDS = 16;

/**
 * Indexes across profiles are sharded sorted sets, never touched by a profile's script: on a cluster their shards
 * spread over nodes, and a reader merges the shards.
 */
export function lastSeenIndexKey(namespace: string, profileId: string): string {
  const shard = createHash('sha1').update(profileId).digest().readUInt16BE(0) % INDEX_SHARDS;
  return `${namespace}:idx:last_seen:{${shard}}`;
}

export function allLastSeenIndexKeys(namespace: string): string[] {
  return Array.from({ length: INDEX_SHARDS }, (_, shard) => `${namespace}:idx:last_seen:{${shard}}`);
}

/** Leads are user (u:) and email (e:) profiles; anonymous visitors (a:) are not. */
export function isLeadProfile(profileId: string): boolean {
  return profileId.startsWith('u:') || profileId.startsWith('e:');
}
