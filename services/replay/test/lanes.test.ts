import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrackedEvent } from '@leadscore/events';
import { createLanes } from '../src/lanes.ts';

const freeMail = new Set(['gmail.com']);
let n = 0;
function event(who: { userId?: string; anonymousId?: string; email?: string; groupId?: string }): { event: TrackedEvent } {
  const base = { messageId: `m${n++}`, timestamp: '2026-11-02T10:00:00.000Z', receivedAt: '2026-11-02T10:00:00.000Z', source: { id: 'web', kind: 'segment' }, flags: [] };
  const ids = { ...(who.userId ? { userId: who.userId } : {}), ...(who.anonymousId ? { anonymousId: who.anonymousId } : {}) };
  if (who.groupId) return { event: { ...base, ...ids, type: 'group', groupId: who.groupId } as unknown as TrackedEvent };
  if (who.email) return { event: { ...base, ...ids, type: 'identify', traits: { email: who.email } } as unknown as TrackedEvent };
  return { event: { ...base, ...ids, type: 'page', properties: {} } as unknown as TrackedEvent };
}
const laneOf = (lanes: { event: TrackedEvent }[][], e: { event: TrackedEvent }) => lanes.findIndex((l) => l.includes(e));

describe('the lanes of a replay', () => {
  it('keep a visitor with the user it identified as, from then on', () => {
    const lanes = createLanes({ lanes: 64, freeMailDomains: freeMail });
    const link = event({ userId: 'u1', anonymousId: 'a1' });
    const split = lanes.split([link, ...Array.from({ length: 50 }, (_, i) => event({ userId: `other${i}` }))]);
    const visitor = event({ anonymousId: 'a1' });
    const user = event({ userId: 'u1' });
    const later = lanes.split([visitor, user]);
    expect(laneOf(later, visitor)).toBe(laneOf(later, user));
    expect(split.flat()).toHaveLength(51);
  });

  it('keep the people of one company together, but not everyone on a free-mail domain', () => {
    const lanes = createLanes({ lanes: 64, freeMailDomains: freeMail });
    const people = Array.from({ length: 20 }, (_, i) => event({ userId: `acme${i}`, email: `p${i}@acme.example` }));
    const free = Array.from({ length: 20 }, (_, i) => event({ userId: `free${i}`, email: `p${i}@gmail.com` }));
    const split = lanes.split([...people, ...free]);
    expect(new Set(people.map((p) => laneOf(split, p))).size).toBe(1);
    expect(new Set(free.map((p) => laneOf(split, p))).size).toBeGreaterThan(1);
  });

  it('keep a user merged by hand with the user it was merged into', () => {
    const lanes = createLanes({ lanes: 64, freeMailDomains: freeMail, merges: [{ user: 'u:old', into: 'u:kept' }] });
    const old = event({ userId: 'old' });
    const kept = event({ userId: 'kept' });
    const split = lanes.split([old, ...Array.from({ length: 50 }, (_, i) => event({ userId: `x${i}` })), kept]);
    expect(laneOf(split, old)).toBe(laneOf(split, kept));
  });

  it('take ids a stranger may choose, like __proto__ or constructor, as any other', () => {
    const lanes = createLanes({ lanes: 64, freeMailDomains: freeMail });
    const proto = [event({ userId: '__proto__', anonymousId: 'constructor' }), event({ anonymousId: 'constructor' }), event({ userId: '__proto__', email: 'x@__proto__.example' })];
    const split = lanes.split([...proto, ...Array.from({ length: 50 }, (_, i) => event({ userId: `x${i}` }))]);
    expect(new Set(proto.map((p) => laneOf(split, p))).size).toBe(1);
    expect(split.flat()).toHaveLength(53);
  });

  it('fall back to one lane, the serial replay, once they remember too many identities', () => {
    const lanes = createLanes({ lanes: 4, freeMailDomains: freeMail, remembered: 10 });
    const split = lanes.split(Array.from({ length: 20 }, (_, i) => event({ userId: `u${i}` })));
    expect(split).toHaveLength(1);
    expect(lanes.lanes).toBe(1);
  });

  it('give every event of a stretch to one lane, in order, with whatever shares an identity or company', () => {
    const id = fc.constantFrom('1', '2', '3', '4', '5', '6');
    const who = fc.record({ userId: fc.option(id, { nil: undefined }), anonymousId: fc.option(id, { nil: undefined }), email: fc.option(fc.constantFrom('a@x.example', 'b@y.example', 'c@gmail.com'), { nil: undefined }), groupId: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(fc.array(who, { maxLength: 30 }), { maxLength: 4 }), fc.integer({ min: 1, max: 8 }), (stretches, count) => {
        const lanes = createLanes({ lanes: count, freeMailDomains: freeMail });
        const seen: { event: TrackedEvent }[] = [];
        for (const stretch of stretches) {
          const events = stretch.map((w) => event({ ...(w.userId ? { userId: `u${w.userId}` } : {}), ...(w.anonymousId ? { anonymousId: `a${w.anonymousId}` } : {}), ...(w.email ? { email: w.email } : {}), ...(w.groupId ? { groupId: w.groupId } : {}) }));
          const split = lanes.split(events);
          // Each event once, each lane in the stretch's order.
          expect(split.flat().sort((a, b) => events.indexOf(a) - events.indexOf(b))).toEqual(events);
          for (const lane of split) expect([...lane].sort((a, b) => events.indexOf(a) - events.indexOf(b))).toEqual(lane);
          seen.push(...events);
          // Two events of the stretch that share a key, directly or through any event so far, share a lane.
          const keys = (e: TrackedEvent) => {
            const email = (e as unknown as { traits?: { email?: string } }).traits?.email;
            const group = (e as unknown as { groupId?: string }).groupId;
            return [e.userId && `u${e.userId}`, e.anonymousId && `a${e.anonymousId}`, email, group, email?.endsWith('.example') ? `d${email.split('@')[1]}` : undefined].filter(Boolean) as string[];
          };
          const component = new Map<string, string>();
          const find = (k: string): string => (component.get(k) && component.get(k) !== k ? find(component.get(k) as string) : k);
          for (const e of seen) {
            const [first, ...rest] = keys(e.event);
            if (!first) continue;
            for (const k of rest) component.set(find(k), find(first));
            if (!component.has(first)) component.set(first, first);
          }
          for (const a of events) for (const b of events) {
            const [ka] = keys(a.event);
            const [kb] = keys(b.event);
            if (ka && kb && find(ka) === find(kb)) expect(laneOf(split, a)).toBe(laneOf(split, b));
          }
        }
      }),
    );
  });
});
