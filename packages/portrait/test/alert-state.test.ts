import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { encodeStreakDays } from '../src/compact.ts';
import { alertStateFields, alertStateOf, encodeHeat, heatField } from '../src/read.ts';

const rules = parseRules(defaultRules);
const fields = alertStateFields(rules);
const heatClasses = [...new Set(rules.weights.map((w) => String(w.halfLife ?? rules.defaults.halfLife)))];
const streakIds = rules.alerts.filter((a) => a.kind === 'streak').map((a) => a.id);
const alertIds = rules.alerts.map((a) => a.id);
const tierIds = rules.alerts.filter((a) => a.kind === 'tier').map((a) => a.id);

/** A lead's state hash as the scripts leave it: counters, heat, streak days, alert markers and more. */
const stateHash = fc
  .record({
    heat: fc.array(fc.tuple(fc.constantFrom(...heatClasses), fc.integer({ min: 0, max: 5_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }))),
    streaks: fc.array(fc.tuple(fc.constantFrom(...streakIds), fc.uniqueArray(fc.integer({ min: 20_000, max: 20_500 }), { minLength: 1, maxLength: 5 }))),
    fired: fc.array(fc.tuple(fc.constantFrom(...alertIds), fc.integer({ min: 20_000, max: 20_500 }))),
    events: fc.nat(),
  })
  .map(({ heat, streaks, fired, events }) => {
    const state: Record<string, string> = { 'n:page': String(events), 'flagged:page': '1', first_seen: '1', last_seen: '2' };
    for (const [k, era, sum] of heat) state[heatField(k)] = encodeHeat({ era, sum });
    for (const [id, days] of streaks) state[`sd:${id}`] = encodeStreakDays(days);
    for (const [id, day] of fired) {
      state[`alert_last:${id}`] = `${day}|${day}`;
      // Only crossings (tier rules) hold, on a lead.
      if (tierIds.includes(id)) state[`held:${id}`] = String(day * 86_400_000);
    }
    return state;
  });

describe('the alert state fields', () => {
  it('are all alert decisions read: the state cut down to them reads as the whole state', () => {
    fc.assert(
      fc.property(stateHash, (state) => {
        const cut = Object.fromEntries(fields.filter((f) => f in state).map((f) => [f, state[f] as string]));
        expect(alertStateOf(cut)).toEqual(alertStateOf(state));
      }),
    );
  });

  it('leave out counters, which say nothing to alert rules', () => {
    expect(fields.some((f) => f.startsWith('n:') || f.startsWith('flagged:'))).toBe(false);
  });
});
