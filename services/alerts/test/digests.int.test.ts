import { afterAll, describe, expect, it } from 'vitest';
import type { AlertMessage } from '@leadscore/channels';
import { alertsQueuePrefix } from '@leadscore/events';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { createDigests, DIGEST_CLAIM_LEASE_MS } from '../src/digests.ts';
import type { DeliveryAttempt } from '../src/processor.ts';

const HOUR = 3_600_000;
const ns = testNamespace('digests');
const rules = parseRules({ ...defaultRules, routing: { channels: { daily: { type: 'log', digest: '1h' } }, default: ['daily'] } });
const log = createLogger({ service: 'test', level: 'silent', namespace: ns });
const connections: ReturnType<typeof createRedis>[] = [];
let tests = 0;

afterAll(async () => {
  const redis = createRedis(services().redisUrl);
  const keys = await redis.keys(`*${ns}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  for (const c of connections) c.disconnect();
});

/** The receiving end of the digest channel: what every worker sent it, and sends it can hold open or refuse. */
function receiver() {
  const digests: AlertMessage[] = [];
  const outcomes: DeliveryAttempt['outcome'][] = [];
  let hold: Promise<void> | undefined;
  let letGo = () => {};
  return {
    digests,
    /** The alerts that arrived, one entry per time an alert was sent. */
    alerts: () => digests.flatMap((d) => d.why.evidence['idempotencyKeys'] as string[]),
    /** The next send stays open until `letGo`, as a slow receiver (or a worker stopped mid-send) would leave it. */
    holdNext() {
      hold = new Promise<void>((resolve) => (letGo = resolve));
    },
    letGo: () => letGo(),
    /** The next sends are answered with these outcomes, then `delivered`. */
    answer: (...next: DeliveryAttempt['outcome'][]) => void outcomes.push(...next),
    async send(message: AlertMessage): Promise<DeliveryAttempt> {
      digests.push(message);
      const held = hold;
      hold = undefined;
      if (held) await held;
      return { outcome: outcomes.shift() ?? 'delivered', durationMs: 0 };
    },
  };
}

/** A digest channel of its own for each test, a shared clock, and alerts workers (each on its own connection). */
function setting() {
  const prefix = alertsQueuePrefix(`${ns}_${++tests}`);
  const clock = { at: Date.UTC(2026, 10, 25, 9, 0, 0) };
  const inbox = receiver();
  const worker = () => {
    const redis = createRedis(services().redisUrl);
    connections.push(redis);
    return createDigests({ redis, prefix, rules: () => rules, senders: () => ({ type: 'log', send: (m) => inbox.send(m) }), log, now: () => clock.at });
  };
  return { clock, inbox, worker };
}

function alert(n: number): AlertMessage {
  return {
    idempotencyKey: `alert-${n}`,
    firedAt: new Date(Date.UTC(2026, 10, 25, 8, 0, n)).toISOString(),
    lead: { id: `u:${n}`, name: `Lead ${n}` },
    rule: { id: 'pricing-streak', kind: 'streak', action: 'call today' },
    why: { summary: 'pricing three days running', evidence: {} },
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('alert digests', () => {
  it('sends each alert once when two workers flush the same digest at the same time', async () => {
    const { clock, inbox, worker } = setting();
    const [a, b] = [worker(), worker()];
    for (const n of [1, 2, 3]) await a.add('daily', alert(n));
    clock.at += HOUR;
    inbox.holdNext();
    const first = a.flush();
    await until('the first worker to be sending', () => inbox.digests.length === 1);
    expect(await b.flush()).toBe(0);
    inbox.letGo();
    expect(await first).toBe(3);
    expect(inbox.alerts()).toEqual(['alert-1', 'alert-2', 'alert-3']);
  });

  it('keeps alerts added while a digest is being sent for the next digest, though another worker ticks meanwhile', async () => {
    const { clock, inbox, worker } = setting();
    const [w, other] = [worker(), worker()];
    for (const n of [1, 2]) await w.add('daily', alert(n));
    clock.at += HOUR;
    inbox.holdNext();
    const sending = w.flush();
    await until('the digest to be sending', () => inbox.digests.length === 1);
    for (const n of [3, 4]) await w.add('daily', alert(n));
    expect(await other.flush()).toBe(0);
    inbox.letGo();
    expect(await sending).toBe(2);
    clock.at += HOUR;
    expect(await other.flush()).toBe(2);
    expect(inbox.digests.map((d) => d.why.evidence['idempotencyKeys'])).toEqual([
      ['alert-1', 'alert-2'],
      ['alert-3', 'alert-4'],
    ]);
  });

  it('waits a period after the oldest alert before sending a digest', async () => {
    const { clock, inbox, worker } = setting();
    const w = worker();
    await w.add('daily', alert(1));
    clock.at += HOUR - 1;
    expect(await w.flush()).toBe(0);
    clock.at += 1;
    expect(await w.flush()).toBe(1);
    expect(inbox.alerts()).toEqual(['alert-1']);
  });

  it('sends a digest that failed to send again at the next tick, under the same idempotency key', async () => {
    const { clock, inbox, worker } = setting();
    const w = worker();
    for (const n of [1, 2]) await w.add('daily', alert(n));
    clock.at += HOUR;
    inbox.answer('retry');
    expect(await w.flush()).toBe(0);
    expect(await w.flush()).toBe(2);
    expect(inbox.digests).toHaveLength(2);
    expect(inbox.digests[1]!.idempotencyKey).toBe(inbox.digests[0]!.idempotencyKey);
    expect(await w.flush()).toBe(0);
  });

  it('sends again, once its lease is over, a digest whose worker stopped in the middle of sending it', async () => {
    const { clock, inbox, worker } = setting();
    const [stopped, other] = [worker(), worker()];
    for (const n of [1, 2]) await stopped.add('daily', alert(n));
    clock.at += HOUR;
    inbox.holdNext();
    const neverFinished = stopped.flush();
    await until('the first worker to be sending', () => inbox.digests.length === 1);
    clock.at += DIGEST_CLAIM_LEASE_MS - 1;
    expect(await other.flush()).toBe(0);
    clock.at += 1;
    expect(await other.flush()).toBe(2);
    expect(inbox.digests.map((d) => d.idempotencyKey)).toEqual([inbox.digests[0]!.idempotencyKey, inbox.digests[0]!.idempotencyKey]);
    inbox.letGo();
    await neverFinished;
  });
});
