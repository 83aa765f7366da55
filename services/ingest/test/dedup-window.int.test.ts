import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { portraitWriters, tracked } from './support.ts';

/**
 * The dedup window (seenBefore in packages/portrait/src/lua/includes/portrait.lua) against a model: a message counts
 * unless the same id was recorded within the window before, as processed; whatever the ids (some sharing bytes with
 * others), repeats and gaps. Writers straight on Redis, with `now` moving forward.
 */
const DAY = 86_400_000;
const WINDOW = 2 * DAY;
const START = Date.parse('2026-11-01T00:00:00Z');
let writers: ReturnType<typeof portraitWriters>;
beforeAll(() => {
  writers = portraitWriters(services().redisUrl);
});
afterAll(() => writers.close());

describe('the dedup window', () => {
  it('counts a message once within the window and again after it, as a model of it says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 12 }), gapMs: fc.integer({ min: 0, max: DAY }) }), { minLength: 1, maxLength: 40 }),
        async (steps) => {
          const ns = writers.namespace('dedup_model');
          let now = START;
          const recorded = new Map<number, number>();
          let expected = 0;
          for (const { id, gapMs } of steps) {
            now += gapMs;
            // Processing time is whole seconds in the window's entries: the model keeps the same resolution.
            const nowS = Math.floor(now / 1000);
            const last = recorded.get(id);
            if (last === undefined || last <= nowS - WINDOW / 1000) {
              expected++;
              recorded.set(id, nowS);
            }
            const at = now;
            await writers.writer(ns, { layout: { dedupWindowMs: WINDOW }, now: () => at }).write([tracked({ type: 'page', userId: 'ann', messageId: `m-${id}`, timestamp: new Date(at - 1000).toISOString() }, new Date(at))]);
          }
          expect((await readProfile(writers.redis, ns, 'u:ann')).events).toBe(expected);
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40) },
    );
  });
});
