import type { Redis } from 'ioredis';
import { BOUNDS } from './bounds.ts';
import { profileKeys } from './keys.ts';

/** A user a person merged into a lead (lead_merges' latest row for it). */
export interface MergedUser {
  readonly user: string;
  readonly into: string;
  readonly at: number;
  readonly messageId: string;
}

/**
 * A replay into an empty namespace starts with the merges people made: each merged user linked into its lead and
 * marked merged, as linkProfile and mergeProfile leave a link, before any event. Its events then land on the lead
 * from the first, as if the person had always been one lead: known users keep no history in Redis for a link to hand
 * over (ClickHouse keeps every event), so this is how a rescore rebuilds a merged portrait from all of them. The
 * merge event itself, replayed in its turn, finds the link made and changes nothing.
 */
export async function seedMergedUsers(redis: Redis, namespace: string, merges: readonly MergedUser[]): Promise<void> {
  for (let i = 0; i < merges.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const m of merges.slice(i, i + 500)) {
      pipeline.hset(profileKeys(namespace, m.user).state, 'linked_to', m.into, 'link_reason', 'merged_by_hand', 'link_message', m.messageId, 'link_at', String(m.at), 'merged', '1');
      pipeline.scard(profileKeys(namespace, m.into).from);
    }
    const replies = (await pipeline.exec()) ?? [];
    const add = redis.pipeline();
    merges.slice(i, i + 500).forEach((m, j) => {
      const [err, size] = replies[2 * j + 1] ?? [];
      if (err) throw err;
      if ((size as number) < BOUNDS.linkedFromCap) add.sadd(profileKeys(namespace, m.into).from, m.user);
    });
    if (add.length > 0) await add.exec();
  }
}
