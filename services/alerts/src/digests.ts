import type { Redis } from 'ioredis';
import { alertMessageSchema, renderText, type AlertMessage } from '@leadscore/channels';
import type { Logger } from '@leadscore/log';
import type { Rules } from '@leadscore/scoring';
import type { Sender } from './processor.ts';

/** Alerts sent together in one digest message, at most. */
const DIGEST_MAX = 100;

/**
 * Digest mode: a channel with `digest: <period>` gathers its alerts in Redis (under the queue's hash tag, so they
 * survive a restart) and gets them in one message once the oldest has waited a period. A digest that fails to send
 * stays and is tried at the next tick; only what was delivered is removed.
 */
export function createDigests(deps: { redis: Redis; prefix: string; rules: () => Rules; senders: (channel: string) => { type: string; send: Sender } | undefined; log: Logger; now?: () => number }) {
  const { redis, prefix, log } = deps;
  const listKey = (channel: string) => `${prefix}:digest:${channel}`;
  const sinceKey = (channel: string) => `${prefix}:digest:${channel}:since`;
  const now = deps.now ?? Date.now;

  return {
    async add(channel: string, message: AlertMessage): Promise<void> {
      await redis.multi().rpush(listKey(channel), JSON.stringify(message)).set(sinceKey(channel), String(now()), 'NX').exec();
    },

    /** Sends the digests that are due; returns how many alerts went out. */
    async flush(): Promise<number> {
      let sent = 0;
      for (const [channel, config] of Object.entries(deps.rules().routing.channels)) {
        if (!config.digest) continue;
        const since = Number(await redis.get(sinceKey(channel)));
        if (!since || now() - since < config.digest) continue;
        const raw = await redis.lrange(listKey(channel), 0, DIGEST_MAX - 1);
        if (raw.length === 0) {
          await redis.del(sinceKey(channel));
          continue;
        }
        const messages = raw.map((r) => JSON.parse(r) as AlertMessage);
        const sender = deps.senders(channel);
        if (!sender) {
          log.error({ channel, waiting: raw.length }, 'digest channel is not configured; its alerts wait');
          continue;
        }
        const digest = alertMessageSchema.parse({
          idempotencyKey: `digest-${channel}-${messages[0]!.idempotencyKey}-${messages.length}`,
          firedAt: new Date(now()).toISOString(),
          lead: { id: 'digest', name: `${messages.length} hot-lead alert${messages.length === 1 ? '' : 's'}` },
          rule: { id: 'digest', kind: 'digest', action: 'follow up on each lead below' },
          why: {
            summary: `${messages.length} alerts since ${new Date(since).toISOString()}`,
            evidence: {
              alerts: messages.map((m) => `${renderText(m).title} — ${m.why.summary} — ${m.rule.action}`),
              idempotencyKeys: messages.map((m) => m.idempotencyKey),
            },
          },
        });
        const attempt = await sender.send(digest);
        if (attempt.outcome !== 'delivered') {
          log.warn({ channel, outcome: attempt.outcome, error: attempt.error, waiting: raw.length }, 'digest not delivered; kept for the next tick');
          continue;
        }
        const left = await redis.multi().ltrim(listKey(channel), raw.length, -1).llen(listKey(channel)).exec();
        const remaining = Number(left?.[1]?.[1] ?? 0);
        if (remaining === 0) await redis.del(sinceKey(channel));
        else await redis.set(sinceKey(channel), String(now()));
        sent += raw.length;
        log.info({ channel, alerts: raw.length }, 'digest delivered');
      }
      return sent;
    },
  };
}

export type Digests = ReturnType<typeof createDigests>;
