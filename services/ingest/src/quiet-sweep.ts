import type { Redis } from 'ioredis';
import type { Logger } from '@leadscore/log';
import { allLastSeenIndexKeys, isLeadProfile, profileKeys, type PortraitScripts } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import type { AlertOutbox, Firing } from '@leadscore/portrait';

/** Leads handled per read of an index shard: a sweep's memory and round trips stay bounded however many went quiet. */
const PAGE = 500;

/**
 * Absence has no event, so a scheduled sweep finds it: leads whose last counted activity is older than the rules'
 * `quiet.after` get `quiet_since` in their state (the tag itself is judged at read time, so a new event warms the
 * lead again at once) and, when the rule has an action, one nurture notification per quiet spell. A lead handled
 * leaves the last-seen index (its next event puts it back), so the index holds the leads not yet quiet and each
 * sweep reads only those that went quiet since the last, a page at a time.
 */
export function createQuietSweep(deps: { namespace: string; redis: Redis; scripts: PortraitScripts; outbox: AlertOutbox; rules: () => Rules; log: Logger; now?: () => number }) {
  const { namespace: ns, redis, scripts, outbox, log } = deps;
  return async function sweep(): Promise<{ quiet: number; notified: number }> {
    const rules = deps.rules();
    if (!rules.quiet) return { quiet: 0, notified: 0 };
    const quietRule = rules.quiet;
    const now = (deps.now ?? Date.now)();
    const before = now - quietRule.after;
    let quiet = 0;
    let notified = 0;
    for (const key of allLastSeenIndexKeys(ns)) {
      for (;;) {
        const found = await redis.zrangebyscore(key, '-inf', before, 'WITHSCORES', 'LIMIT', 0, PAGE);
        if (found.length === 0) break;
        const handled: string[] = [];
        const firings: Firing[] = [];
        const marks = redis.pipeline();
        for (let i = 0; i < found.length; i += 2) {
          const lead = found[i] as string;
          const lastSeen = Number(found[i + 1]);
          handled.push(lead);
          if (!isLeadProfile(lead)) continue;
          quiet++;
          marks.hset(profileKeys(ns, lead).state, 'quiet_since', String(lastSeen));
          if (quietRule.action) {
            firings.push({
              lead,
              messageId: `quiet-${lastSeen}`,
              rulesVersion: rules.version,
              candidate: { ruleId: quietRule.tag, kind: 'quiet', window: `quiet-${lastSeen}`, action: quietRule.action, evidence: { lastSeen: new Date(lastSeen).toISOString(), quietDays: Math.floor((now - lastSeen) / 86_400_000) } },
            });
          }
        }
        if (marks.length > 0) await marks.exec();
        notified += await outbox.fire(firings);
        await scripts.forgetQuiet.run(redis, [key], [before, ...handled]);
        if (found.length < PAGE * 2) break;
      }
    }
    log.info({ quiet, notified }, 'quiet sweep done');
    return { quiet, notified };
  };
}
