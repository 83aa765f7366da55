import { createHash } from 'node:crypto';
import { hashTagged } from '@leadscore/redis';

/** All keys of one profile share the hash tag {p:<profile id>}, so its scripts run on one Redis Cluster node. */
export function profileKeys(namespace: string, profileId: string) {
  const key = (suffix: string) => hashTagged(namespace, 'p', profileId, suffix);
  return { state: key('state'), traits: key('traits'), seen: key('seen'), orders: key('orders'), log: key('log'), ledger: key('ledger'), from: key('from'), link: key('link') };
}

export function companyKeys(namespace: string, companyId: string) {
  const key = (suffix: string) => hashTagged(namespace, 'c', companyId, suffix);
  return { state: key('state'), traits: key('traits'), seen: key('seen'), members: key('members'), orders: key('orders') };
}

/** Who owns an email address: one key (and slot) per address. */
export function emailOwnerKey(namespace: string, email: string): string {
  return hashTagged(namespace, 'email', email, 'owner');
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
