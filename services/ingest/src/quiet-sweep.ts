import type { Redis } from 'ioredis';
import type { Logger } from '@leadscore/log';
import { allLastSeenIndexKeys, isLeadProfile, profileKeys } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import type { AlertOutbox } from './alert-outbox.ts';

/**
 * Absence has no event, so a scheduled sweep finds it: leads whose last counted activity is older than the rules'
 * `quiet.after` get `quiet_since` in their state (the tag itself is judged at read time, so a new event warms the
 * lead again at once) and, when the rule has an action, one nurture notification per quiet spell.
 */
export function createQuietSweep(deps: { namespace: string; redis: Redis; outbox: AlertOutbox; rules: () => Rules; log: Logger; now?: () => number }) {
  const { namespace: ns, redis, outbox, log } = deps;
  return async function sweep(): Promise<{ quiet: number; notified: number }> {
    const rules = deps.rules();
    if (!rules.quiet) return { quiet: 0, notified: 0 };
    const now = (deps.now ?? Date.now)();
    const before = now - rules.quiet.after;
    let quiet = 0;
    let notified = 0;
    for (const key of allLastSeenIndexKeys(ns)) {
      const found = await redis.zrangebyscore(key, '-inf', before, 'WITHSCORES');
      const firings = [];
      const marks = redis.pipeline();
      for (let i = 0; i < found.length; i += 2) {
        const lead = found[i] as string;
        const lastSeen = Number(found[i + 1]);
        if (!isLeadProfile(lead)) continue;
        quiet++;
        marks.hset(profileKeys(ns, lead).state, 'quiet_since', String(lastSeen));
        if (rules.quiet.action) {
          firings.push({
            lead,
            messageId: `quiet-${lastSeen}`,
            rulesVersion: rules.version,
            candidate: { ruleId: rules.quiet.tag, kind: 'quiet' as const, window: `quiet-${lastSeen}`, action: rules.quiet.action, evidence: { lastSeen: new Date(lastSeen).toISOString(), quietDays: Math.floor((now - lastSeen) / 86_400_000) } },
          });
        }
      }
      if (marks.length > 0) await marks.exec();
      notified += await outbox.fire(firings);
    }
    log.info({ quiet, notified }, 'quiet sweep done');
    return { quiet, notified };
  };
}
