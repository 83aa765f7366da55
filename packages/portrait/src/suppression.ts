import type { TrackedEvent } from '@leadscore/events';
import { claimsOf } from '@leadscore/identity';
import type { Redis } from 'ioredis';

/**
 * Identities erased at a person's request (DELETE /leads/:id): their later events are dropped before anything is
 * written. A sorted set of profile ids (u:<userId>, a:<anonymousId>, e:<email>) by erasure time, holding the newest
 * SUPPRESSION_CAP: an identity erased before the newest million may come back. One key per deployment (a
 * cross-lead index, like the last-seen index).
 */
export const SUPPRESSION_CAP = 1_000_000;
export const suppressionKey = (namespace: string) => `${namespace}:idx:suppressed`;

/** The identities an event speaks for, as profile ids. Pure. */
export function identitiesOf(event: TrackedEvent): string[] {
  const c = claimsOf(event);
  return [...(c.userId ? [`u:${c.userId}`] : []), ...(c.anonymousId ? [`a:${c.anonymousId}`] : []), ...(c.email ? [`e:${c.email}`] : [])];
}

/** Adds identities to the list, trimming it to its cap (the oldest go first). */
export async function suppress(redis: Redis, namespace: string, identities: readonly string[], now = Date.now()): Promise<void> {
  if (identities.length === 0) return;
  await redis
    .pipeline()
    .zadd(suppressionKey(namespace), ...identities.flatMap((id) => [now, id]))
    .zremrangebyrank(suppressionKey(namespace), 0, -(SUPPRESSION_CAP + 1))
    .exec();
}

/** The indexes of the events that speak for an erased identity: one round trip for a batch. */
export async function suppressedEvents(redis: Redis, namespace: string, events: readonly TrackedEvent[]): Promise<Set<number>> {
  const ids = events.map(identitiesOf);
  const unique = [...new Set(ids.flat())];
  if (unique.length === 0) return new Set();
  const scores = await redis.zmscore(suppressionKey(namespace), ...unique);
  const erased = new Set(unique.filter((_, i) => scores[i] !== null));
  if (erased.size === 0) return new Set();
  return new Set(ids.flatMap((list, i) => (list.some((id) => erased.has(id)) ? [i] : [])));
}
