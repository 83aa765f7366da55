import { changesStreamKey } from './ranking.ts';
import { signatureHeader } from '@leadscore/channels';
import type { Logger } from '@leadscore/log';
import type { Redis } from 'ioredis';

/** Changes per request, and requests per push: a push after a long outage catches up over a few sweeps. */
const BATCH = 500;
const BATCHES_PER_PUSH = 10;

/**
 * Pushes the changes feed to a CRM's webhook, signed like the alert webhooks (x-leadscore-signature: t=…,v1=HMAC of
 * "<t>.<body>"), in order, each request's idempotency key the id of its last change. What was delivered is remembered
 * in Redis (the stream id pushed last), so a failed request is sent again on the next push: at least once, in order.
 */
export function createChangesWebhook(deps: { readonly redis: Redis; readonly namespace: string; readonly url: string; readonly secret: string; readonly log: Logger; readonly fetch?: typeof fetch; readonly timeoutMs?: number }) {
  const changesKey = changesStreamKey(deps.namespace);
  const pushedKey = `${deps.namespace}:changes:pushed`;
  const send = deps.fetch ?? fetch;
  return {
    /** Sends what is new since the last delivered change; returns how many changes were delivered. */
    async push(): Promise<number> {
      let delivered = 0;
      for (let i = 0; i < BATCHES_PER_PUSH; i++) {
        const after = await deps.redis.get(pushedKey);
        const entries = await deps.redis.xrange(changesKey, after ? `(${after}` : '-', '+', 'COUNT', BATCH);
        if (entries.length === 0) break;
        const last = (entries.at(-1) as [string, string[]])[0];
        const body = JSON.stringify({ changes: entries.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as object) })), cursor: last });
        let status: number;
        try {
          const res = await send(deps.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-leadscore-signature': signatureHeader(body, { secret: deps.secret, now: Date.now() }), 'idempotency-key': `changes-${last}`, 'user-agent': 'leadscore-api/1' },
            body,
            signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
          });
          status = res.status;
        } catch (err) {
          deps.log.warn({ err: (err as Error).message, cursor: after }, 'changes webhook unreachable; sent again on the next push');
          break;
        }
        if (status < 200 || status >= 300) {
          deps.log.warn({ status, cursor: after }, 'changes webhook refused the changes; sent again on the next push');
          break;
        }
        await deps.redis.set(pushedKey, last);
        delivered += entries.length;
      }
      return delivered;
    },
  };
}
