import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { alertMessageSchema, renderText, type AlertMessage } from '@leadscore/channels';
import type { Logger } from '@leadscore/log';
import { defineScript, readLuaScript } from '@leadscore/redis';
import type { Rules } from '@leadscore/scoring';
import { deliveredKeys } from './delivered-keys.ts';
import type { Sender } from './processor.ts';

const lua = (file: string) => readLuaScript(new URL(`./lua/${file}`, import.meta.url));
const claimDigestScript = lua('claimDigest-4.lua');
const releaseDigestScript = lua('releaseDigest-1.lua');

/** Alerts sent together in one digest message, at most. */
const DIGEST_MAX = 100;

/**
 * How long a claimed digest stays its sender's. Longer than any send may take (ALERTS_TIMEOUT_MS is at most ten
 * minutes), so a claim older than this was left by a worker that crashed mid-send, and another sends it again.
 */
export const DIGEST_CLAIM_LEASE_MS = 15 * 60_000;

/** A reply of claimDigest-4.lua that is not a claim: the script and this adapter disagree. */
export class DigestClaimError extends Error {
  override readonly name = 'DigestClaimError';
}

/** A batch of a channel's alerts that one worker owns until it is delivered or released. */
interface Claim {
  readonly id: string;
  /** As the script stamped it: releasing checks it, so a claim taken over by another worker stays theirs. */
  readonly claimedAt: string;
  readonly since: number;
  readonly messages: readonly AlertMessage[];
  /** Taken over from a sender that failed or crashed: it may have been delivered already. */
  readonly takenOver: boolean;
}

type ChannelSender = { type: string; send: Sender };

function readClaim(reply: unknown): Claim | undefined {
  if (reply === null) return undefined;
  const [id, claimedAt, json, takenOver] = Array.isArray(reply) ? reply : [];
  if (typeof id !== 'string' || typeof claimedAt !== 'string' || typeof json !== 'string') throw new DigestClaimError(`unexpected reply to claimDigest: ${JSON.stringify(reply).slice(0, 200)}`);
  const claim = JSON.parse(json) as { since?: unknown; alerts?: unknown };
  if (!Array.isArray(claim.alerts) || claim.alerts.length === 0) throw new DigestClaimError(`digest claim ${id} holds no alerts`);
  return { id, claimedAt, since: Number(claim.since), messages: claim.alerts.map((a) => JSON.parse(String(a)) as AlertMessage), takenOver: Number(takenOver) === 1 };
}

/** One message for a batch; its idempotency key is the same each time the batch is sent, so receivers drop repeats. */
function digestMessage(channel: string, claim: Claim, at: number): AlertMessage {
  const { messages, since } = claim;
  return alertMessageSchema.parse({
    idempotencyKey: `digest-${channel}-${messages[0]!.idempotencyKey}-${messages.length}`,
    firedAt: new Date(at).toISOString(),
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
}

/**
 * Digest mode: a channel with `digest: <period>` gathers its alerts in Redis (under the queue's hash tag, so they
 * survive a restart) and gets them in one message once the oldest has waited a period. Every alerts worker flushes
 * (whichever takes the tick), so a worker first claims a batch (claimDigest-4.lua): only it sends that batch, and
 * alerts added meanwhile wait for the next digest. A digest that fails to send is released and tried at the next
 * tick; one whose worker crashed is sent again after the lease, unless the delivered keys say it went out.
 */
export function createDigests(deps: { redis: Redis; prefix: string; rules: () => Rules; senders: (channel: string) => ChannelSender | undefined; log: Logger; now?: () => number; claimLeaseMs?: number }) {
  const { redis, prefix, log } = deps;
  const now = deps.now ?? Date.now;
  const leaseMs = deps.claimLeaseMs ?? DIGEST_CLAIM_LEASE_MS;
  const claimDigest = defineScript(redis, claimDigestScript);
  const releaseDigest = defineScript(redis, releaseDigestScript);
  const delivered = deliveredKeys(redis, prefix);
  const keysOf = (channel: string) => {
    const base = `${prefix}:digest:${channel}`;
    return { waiting: base, since: `${base}:since`, claims: `${base}:claims`, claimed: `${base}:claimed` };
  };

  async function claim(channel: string, periodMs: number): Promise<Claim | undefined> {
    const k = keysOf(channel);
    return readClaim(await claimDigest.run(redis, [k.waiting, k.since, k.claims, k.claimed], [now(), periodMs, leaseMs, DIGEST_MAX, randomUUID()]));
  }

  async function finish(channel: string, c: Claim): Promise<void> {
    const k = keysOf(channel);
    await redis.multi().hdel(k.claims, c.id).zrem(k.claimed, c.id).exec();
  }

  async function release(channel: string, c: Claim): Promise<void> {
    await releaseDigest.run(redis, [keysOf(channel).claimed], [c.id, c.claimedAt]);
  }

  /** Sends a claimed batch; returns the alerts that went out now, or undefined when it is to be tried again. */
  async function deliver(channel: string, sender: ChannelSender, c: Claim): Promise<number | undefined> {
    const digest = digestMessage(channel, c, now());
    if (c.takenOver && (await delivered.has(digest.idempotencyKey, channel))) {
      await finish(channel, c);
      log.info({ channel, alerts: c.messages.length }, 'digest was delivered before its sender stopped; not sent again');
      return 0;
    }
    const attempt = await sender.send(digest).catch(async (err: unknown) => {
      await release(channel, c);
      throw err;
    });
    if (attempt.outcome !== 'delivered') {
      await release(channel, c);
      log.warn({ channel, outcome: attempt.outcome, error: attempt.error, waiting: c.messages.length }, 'digest not delivered; kept for the next tick');
      return undefined;
    }
    await delivered.remember(digest.idempotencyKey, channel);
    await finish(channel, c);
    log.info({ channel, alerts: c.messages.length, ...(c.takenOver ? { takenOver: true } : {}) }, 'digest delivered');
    return c.messages.length;
  }

  /** Claims taken over are sent first, then at most one new digest: the rest waits a period, as one digest would. */
  async function flushChannel(channel: string, periodMs: number, sender: ChannelSender): Promise<number> {
    let sent = 0;
    for (;;) {
      const c = await claim(channel, periodMs);
      if (!c) return sent;
      const out = await deliver(channel, sender, c);
      if (out === undefined) return sent;
      sent += out;
      if (!c.takenOver) return sent;
    }
  }

  return {
    async add(channel: string, message: AlertMessage): Promise<void> {
      const k = keysOf(channel);
      await redis.multi().rpush(k.waiting, JSON.stringify(message)).set(k.since, String(now()), 'NX').exec();
    },

    /** Sends the digests that are due; returns how many alerts went out. */
    async flush(): Promise<number> {
      let sent = 0;
      for (const [channel, config] of Object.entries(deps.rules().routing.channels)) {
        if (!config.digest) continue;
        const sender = deps.senders(channel);
        if (!sender) {
          const waiting = await redis.llen(keysOf(channel).waiting);
          if (waiting > 0) log.error({ channel, waiting }, 'digest channel is not configured; its alerts wait');
          continue;
        }
        sent += await flushChannel(channel, config.digest, sender);
      }
      return sent;
    },
  };
}

export type Digests = ReturnType<typeof createDigests>;
