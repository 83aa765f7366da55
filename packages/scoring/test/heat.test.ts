import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addHeat,
  crossedInto,
  ERA_HALF_LIVES,
  halfLifeKey,
  HEAT_EPOCH,
  heatAt,
  heatContribution,
  HeatInputError,
  type HeatState,
  tierOf,
  totalHeat,
} from '../src/index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HALF_LIVES = [HOUR, 6 * HOUR, DAY, 3 * DAY, 7 * DAY, 30 * DAY, 90 * DAY];

interface Scored {
  readonly t: number;
  readonly w: number;
  readonly h: number;
}

function accumulate(events: readonly Scored[]): Record<string, HeatState> {
  const states: Record<string, HeatState> = {};
  for (const e of events) {
    const key = halfLifeKey(e.h);
    states[key] = addHeat(states[key], heatContribution(e.t, e.w, e.h));
  }
  return states;
}

/** The heat by the textbook formula, and the same with |w|: the scale against which rounding is judged. */
function direct(events: readonly Scored[], now: number): { heat: number; gross: number } {
  let heat = 0;
  let gross = 0;
  for (const e of events) {
    const decay = 2 ** (-(now - e.t) / e.h);
    heat += e.w * decay;
    gross += Math.abs(e.w) * decay;
  }
  return { heat, gross };
}

/** Within 1e-9 of each other relative to the result, or 1e-12 absolute where the result is near zero. */
function close(a: number, b: number): boolean {
  const diff = Math.abs(a - b);
  return diff <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) || diff <= 1e-12;
}

const scored: fc.Arbitrary<Scored> = fc.record({
  // about three years of event times, whole milliseconds
  t: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 0, 1) }),
  w: fc.oneof(fc.integer({ min: -50, max: 100 }), fc.double({ min: -50, max: 100, noNaN: true })),
  h: fc.constantFrom(...HALF_LIVES),
});

const eventsAndShuffle = fc
  .array(scored, { minLength: 1, maxLength: 60 })
  .chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), fc.integer({ min: 0, max: 120 * DAY })));

describe('heat of one event', () => {
  it('is the event weight at the event time', () => {
    const t = Date.UTC(2026, 4, 17, 9, 30);
    expect(heatAt(addHeat(undefined, heatContribution(t, 12, 7 * DAY)), 7 * DAY, t)).toBeCloseTo(12, 12);
  });

  it('halves after one half-life', () => {
    const t = Date.UTC(2026, 4, 17, 9, 30);
    const state = addHeat(undefined, heatContribution(t, 10, 3 * DAY));
    expect(heatAt(state, 3 * DAY, t + 3 * DAY)).toBeCloseTo(5, 12);
    expect(heatAt(state, 3 * DAY, t + 6 * DAY)).toBeCloseTo(2.5, 12);
  });

  it('is reckoned from the event time, so a late arrival is as hot as it would have been on time', () => {
    const t = Date.UTC(2026, 4, 17);
    const now = t + 2 * DAY;
    const onTime = addHeat(undefined, heatContribution(t, 8, DAY));
    expect(heatAt(onTime, DAY, now)).toBeCloseTo(2, 12);
  });

  it('works for events before the epoch', () => {
    const t = Date.UTC(2019, 5, 1);
    expect(heatContribution(t, 1, HOUR).era).toBeLessThan(0);
    expect(heatAt(addHeat(undefined, heatContribution(t, 4, DAY)), DAY, t + DAY)).toBeCloseTo(2, 12);
  });

  it('keeps its amount in [w, w·2^512) by starting a new era every 512 half-lives', () => {
    const h = HOUR;
    const eraStart = HEAT_EPOCH + 7 * ERA_HALF_LIVES * h;
    expect(heatContribution(eraStart, 1, h)).toEqual({ era: 7, amount: 1 });
    const justBefore = heatContribution(eraStart - 1, 1, h);
    expect(justBefore.era).toBe(6);
    expect(justBefore.amount).toBeLessThan(2 ** ERA_HALF_LIVES);
  });

  it('refuses a half-life that is not a positive whole number of milliseconds', () => {
    expect(() => heatContribution(Date.UTC(2026, 0, 1), 1, 1.5)).toThrow(HeatInputError);
    expect(() => heatContribution(Date.UTC(2026, 0, 1), 1, 0)).toThrow(/half-life/);
  });

  it('refuses a weight or time that is not a finite number', () => {
    expect(() => heatContribution(Date.UTC(2026, 0, 1), Number.NaN, DAY)).toThrow(/weight/);
    expect(() => heatContribution(Number.NaN, 1, DAY)).toThrow(/event time/);
  });
});

describe('heat of many events', () => {
  it('is the same whatever order the events arrive in', () => {
    fc.assert(
      fc.property(eventsAndShuffle, ([events, shuffled, after]) => {
        const now = Math.max(...events.map((e) => e.t)) + after;
        return close(totalHeat(accumulate(shuffled), now), totalHeat(accumulate(events), now));
      }),
      { numRuns: 300 },
    );
  });

  it('is the same whatever the order when large weights cancel, to rounding of the gross heat', () => {
    // Exact cancellation is where "1e-12 absolute" stops holding for large weights: the net is ~0 and every order
    // leaves a different rounding residue of about n·2^-53 times the gross heat.
    const pair = fc.record({ t: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 0, 11) }), w: fc.double({ min: 1, max: 1000, noNaN: true }) });
    fc.assert(
      fc.property(
        fc.array(pair, { minLength: 1, maxLength: 100 }).chain((pairs) => {
          const events = pairs.flatMap(({ t, w }) => [{ t, w, h: DAY }, { t, w: -w, h: DAY }]);
          return fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }));
        }),
        ([events, shuffled]) => {
          const now = Date.UTC(2026, 0, 11);
          const { gross } = direct(events, now);
          return Math.abs(totalHeat(accumulate(shuffled), now) - totalHeat(accumulate(events), now)) <= 1e-12 * gross;
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is the sum of the decayed weights', () => {
    fc.assert(
      fc.property(eventsAndShuffle, ([events, , after]) => {
        const now = Math.max(...events.map((e) => e.t)) + after;
        const { heat, gross } = direct(events, now);
        // Judged against the gross heat: with negative weights the net can cancel to nothing, and no summation
        // order is more right than another there. Heat a thousand half-lives old may underflow to 0.
        return Math.abs(totalHeat(accumulate(events), now) - heat) <= 1e-9 * gross + 1e-12;
      }),
      { numRuns: 200 },
    );
  });

  it('is the same when an event is replayed into a state that has moved several eras on', () => {
    const h = HOUR;
    const old = { t: Date.UTC(2024, 0, 1), w: 5, h };
    const recent = { t: Date.UTC(2026, 0, 1), w: 3, h };
    const now = recent.t + HOUR;
    expect(totalHeat(accumulate([recent, old]), now)).toBe(totalHeat(accumulate([old, recent]), now));
    expect(totalHeat(accumulate([recent, old]), now)).toBeCloseTo(1.5, 12);
  });

  it('stays finite for event times up to 2040 and reads up to years later', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.integer({ min: HEAT_EPOCH, max: Date.UTC(2040, 11, 31) }), w: fc.double({ min: -1000, max: 1000, noNaN: true }), h: fc.constantFrom(...HALF_LIVES) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 10 * 365 * DAY }),
        (events, after) => {
          const states = accumulate(events);
          const now = Math.max(...events.map((e) => e.t)) + after;
          for (const s of Object.values(states)) if (!Number.isFinite(s.sum) || !Number.isInteger(s.era)) return false;
          return Number.isFinite(totalHeat(states, now));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is zero, not NaN, for a class whose events cancelled out', () => {
    const t = Date.UTC(2030, 0, 1);
    const state = addHeat(addHeat(undefined, heatContribution(t, 5, HOUR)), heatContribution(t, -5, HOUR));
    expect(heatAt(state, HOUR, HEAT_EPOCH)).toBe(0);
  });
});

describe('total heat', () => {
  it('adds the half-life classes, each decayed by its own half-life', () => {
    const t = Date.UTC(2026, 0, 1);
    const states = accumulate([
      { t, w: 8, h: DAY },
      { t, w: 8, h: 2 * DAY },
    ]);
    expect(totalHeat(states, t + 2 * DAY)).toBeCloseTo(2 + 4, 12);
  });

  it('refuses a state keyed by something other than a half-life', () => {
    expect(() => totalHeat({ '7d': { era: 0, sum: 1 } }, Date.UTC(2026, 0, 1))).toThrow(/not a half-life/);
  });

  it('is zero for a portrait without heat', () => {
    expect(totalHeat({}, Date.UTC(2026, 0, 1))).toBe(0);
  });
});

describe('tiers', () => {
  const thresholds = { hot: 40, warm: 20 };

  it('are hot from the hot threshold, warm from the warm one, cold below', () => {
    expect(tierOf(40, thresholds)).toBe('hot');
    expect(tierOf(39.9, thresholds)).toBe('warm');
    expect(tierOf(20, thresholds)).toBe('warm');
    expect(tierOf(19.9, thresholds)).toBe('cold');
    expect(tierOf(-5, thresholds)).toBe('cold');
  });

  it('cool down as time passes without events', () => {
    const t = Date.UTC(2026, 0, 1);
    const states = accumulate([{ t, w: 50, h: DAY }]);
    expect(tierOf(totalHeat(states, t), thresholds)).toBe('hot');
    expect(tierOf(totalHeat(states, t + DAY), thresholds)).toBe('warm');
    expect(tierOf(totalHeat(states, t + 2 * DAY), thresholds)).toBe('cold');
  });

  it('are crossed into when heat rises to or past the target from below', () => {
    expect(crossedInto('warm', 'hot', 'hot')).toBe(true);
    expect(crossedInto('cold', 'hot', 'warm')).toBe(true);
    expect(crossedInto(undefined, 'hot', 'hot')).toBe(true);
  });

  it('are not crossed into by staying in them or falling', () => {
    expect(crossedInto('hot', 'hot', 'hot')).toBe(false);
    expect(crossedInto('hot', 'warm', 'warm')).toBe(false);
    expect(crossedInto('cold', 'warm', 'hot')).toBe(false);
  });
});
