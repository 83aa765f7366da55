import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';

/**
 * The live feed: what the ingest path changed that a screen should show at once — a lead entering another tier, an
 * alert fired — in a capped Redis stream that the API tails (XREAD BLOCK) and pushes to dashboards as server-sent
 * events. A notice is a nudge to re-read the lead, not a record: a replayed batch may repeat one, and the cap may
 * drop the oldest.
 */
export const liveNotice = z.object({
  kind: z.enum(['tier', 'alert']),
  lead: z.string(),
  /** tier: the tier before and after the batch's events. */
  from: z.string().optional(),
  to: z.string().optional(),
  /** alert: the rule that fired and its action. */
  rule: z.string().optional(),
  action: z.string().optional(),
  /** When the ingest path decided it (ms). */
  at: z.number(),
});
export type LiveNotice = z.infer<typeof liveNotice>;

/** Notices kept: minutes of a busy day, all a reconnecting screen could want (it reloads its list anyway). */
export const LIVE_FEED_KEPT = 10_000;

export const liveFeedKey = (namespace: string) => `${namespace}:live`;

export function queueLiveNotices(pipeline: ChainableCommander, namespace: string, notices: readonly LiveNotice[]): void {
  for (const n of notices) pipeline.xadd(liveFeedKey(namespace), 'MAXLEN', '~', LIVE_FEED_KEPT, '*', 'n', JSON.stringify(n));
}

export async function publishLiveNotices(redis: Redis, namespace: string, notices: readonly LiveNotice[]): Promise<void> {
  if (notices.length === 0) return;
  const pipeline = redis.pipeline();
  queueLiveNotices(pipeline, namespace, notices);
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
}

/** A stream entry's notice, or undefined when it is not one (the stream is shared with nothing, but be strict). */
export function parseLiveNotice(fields: readonly string[]): LiveNotice | undefined {
  const i = fields.indexOf('n');
  if (i < 0 || i % 2 !== 0) return undefined;
  try {
    const parsed = liveNotice.safeParse(JSON.parse(fields[i + 1] ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
