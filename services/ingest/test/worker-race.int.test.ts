import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { TrackedEvent } from '@leadscore/events';
import { emailOwnerKey, profileKeys, readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { portraitWriters, tracked } from './support.ts';

/**
 * Two workers (two writers, each with its own link cache) write at the same moment: both look identity up before
 * either writes, which is how partitions of one visitor's events race on different workers.
 */
let writers: ReturnType<typeof portraitWriters>;
let redis: Redis;
beforeAll(() => {
  writers = portraitWriters(services().redisUrl);
  redis = writers.redis;
});
afterAll(() => writers.close());

function twoWorkers() {
  const ns = writers.namespace('race');
  return { ns, a: writers.writer(ns), b: writers.writer(ns) };
}

const at = new Date(Date.now() - 3_600_000).toISOString();
const form = (visitor: string, email: string, id: string): TrackedEvent =>
  tracked({ type: 'track', event: 'Form Submitted', anonymousId: visitor, messageId: id, timestamp: at, properties: { form_id: 'demo-request', email } });
const identify = (user: string, visitor: string, email: string, id: string): TrackedEvent =>
  tracked({ type: 'identify', userId: user, anonymousId: visitor, messageId: id, timestamp: at, traits: { email } });

describe('identity when two workers race', () => {
  it('links a form and an identify of the same visitor into the user, as one worker would, without a conflict', async () => {
    const { ns, a, b } = twoWorkers();
    const [fromForm, fromIdentify] = await Promise.all([a.write([form('v1', 'ann@acme.example', 'r1')]), b.write([identify('ann', 'v1', 'ann@acme.example', 'r2')])]);
    expect([...fromForm.conflicts, ...fromIdentify.conflicts]).toEqual([]);
    expect(await redis.get(emailOwnerKey(ns, 'ann@acme.example'))).toBe('u:ann');
    expect(await redis.hget(profileKeys(ns, 'e:ann@acme.example').state, 'linked_to')).toBe('u:ann');
    expect((await readProfile(redis, ns, 'u:ann')).events).toBe(2);
  });

  it('ends the same whichever of the two writes first', async () => {
    const { ns, a, b } = twoWorkers();
    await Promise.all([b.write([identify('bo', 'v2', 'bo@acme.example', 'r3')]), a.write([form('v2', 'bo@acme.example', 'r4')])]);
    expect(await redis.get(emailOwnerKey(ns, 'bo@acme.example'))).toBe('u:bo');
    expect((await readProfile(redis, ns, 'u:bo')).events).toBe(2);
  });

  it('still records two users claiming one visitor as a conflict for a person', async () => {
    const { a, b } = twoWorkers();
    const [first, second] = await Promise.all([
      a.write([identify('cy', 'v3', 'cy@acme.example', 'r5')]),
      b.write([identify('dee', 'v3', 'dee@acme.example', 'r6')]),
    ]);
    expect([...first.conflicts, ...second.conflicts].map((c) => c.conflict.kind)).toEqual(['anonymous_linked_elsewhere']);
  });
});
