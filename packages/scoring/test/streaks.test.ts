import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOfDate, runEndingAt, streakDecision } from '../src/index.ts';

const d = dayOfDate;
const days = (...dates: string[]) => dates.map(d);

describe('runs of consecutive days', () => {
  it('are found around the given day', () => {
    expect(runEndingAt(days('2026-03-01', '2026-03-02', '2026-03-03', '2026-03-05'), d('2026-03-02'))).toEqual({ start: d('2026-03-01'), end: d('2026-03-03'), length: 3 });
  });

  it('are absent when the day was not hit', () => {
    expect(runEndingAt(days('2026-03-01', '2026-03-03'), d('2026-03-02'))).toBeUndefined();
  });

  it('count a day hit twice once', () => {
    expect(runEndingAt(days('2026-03-01', '2026-03-01', '2026-03-02'), d('2026-03-02'))?.length).toBe(2);
  });
});

describe('streak decisions', () => {
  const pricing3 = days('2026-03-01', '2026-03-02', '2026-03-03');
  const base = { n: 3, cooldownDays: 7 };

  it('fire on the third consecutive day', () => {
    expect(streakDecision({ ...base, days: pricing3, today: d('2026-03-03') })).toEqual({ fire: true, run: { start: d('2026-03-01'), end: d('2026-03-03'), length: 3 } });
  });

  it('fire the morning after a run that ended yesterday', () => {
    expect(streakDecision({ ...base, days: pricing3, today: d('2026-03-04') })).toMatchObject({ fire: true });
  });

  it('do not fire for a run that ended two days ago', () => {
    expect(streakDecision({ ...base, days: pricing3, today: d('2026-03-05') })).toEqual({ fire: false, reason: 'no-current-run' });
  });

  it('do not fire for a run shorter than n', () => {
    expect(streakDecision({ ...base, days: days('2026-03-02', '2026-03-03'), today: d('2026-03-03') })).toMatchObject({ fire: false, reason: 'too-short' });
  });

  it('do not fire again on the fourth day of the same run', () => {
    const lastFired = { runStart: d('2026-03-01'), day: d('2026-03-03') };
    expect(streakDecision({ ...base, days: [...pricing3, d('2026-03-04')], today: d('2026-03-04'), lastFired })).toMatchObject({ fire: false, reason: 'already-fired' });
  });

  it('do not fire again when a late event extends the fired run backwards', () => {
    const lastFired = { runStart: d('2026-03-01'), day: d('2026-03-03') };
    expect(streakDecision({ ...base, days: [d('2026-02-28'), ...pricing3], today: d('2026-03-03'), lastFired })).toMatchObject({ fire: false, reason: 'already-fired' });
  });

  it('do not fire again when a late event joins the fired run to a new one', () => {
    const lastFired = { runStart: d('2026-03-01'), day: d('2026-03-03') };
    const joined = [...pricing3, ...days('2026-03-05', '2026-03-06', '2026-03-07'), d('2026-03-04')];
    expect(streakDecision({ ...base, cooldownDays: 0, days: joined, today: d('2026-03-07'), lastFired })).toMatchObject({ fire: false, reason: 'already-fired' });
  });

  it('fire for a new run after a break once the cooldown has passed', () => {
    const lastFired = { runStart: d('2026-03-01'), day: d('2026-03-03') };
    const later = [...pricing3, ...days('2026-03-08', '2026-03-09', '2026-03-10')];
    expect(streakDecision({ ...base, days: later, today: d('2026-03-10'), lastFired })).toMatchObject({ fire: true, run: { start: d('2026-03-08') } });
  });

  it('do not fire for a new run while the cooldown lasts', () => {
    const lastFired = { runStart: d('2026-03-01'), day: d('2026-03-03') };
    const soon = [...pricing3, ...days('2026-03-05', '2026-03-06', '2026-03-07')];
    expect(streakDecision({ ...base, days: soon, today: d('2026-03-07'), lastFired })).toMatchObject({ fire: false, reason: 'cooling-down' });
  });

  it('do not depend on the order days were recorded in, nor on repeats', () => {
    const scenario = fc.record({
      days: fc.array(fc.integer({ min: 20_000, max: 20_030 }), { maxLength: 40 }),
      today: fc.integer({ min: 20_000, max: 20_032 }),
      n: fc.integer({ min: 1, max: 5 }),
      cooldownDays: fc.integer({ min: 0, max: 10 }),
      lastFired: fc.option(fc.record({ runStart: fc.integer({ min: 20_000, max: 20_030 }), day: fc.integer({ min: 20_000, max: 20_030 }) }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        scenario.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray([...s.days, ...s.days], { minLength: 2 * s.days.length, maxLength: 2 * s.days.length }))),
        ([s, reordered]) => {
          expect(streakDecision({ ...s, days: reordered })).toEqual(streakDecision(s));
        },
      ),
      { numRuns: 300 },
    );
  });
});
