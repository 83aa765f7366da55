import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { alertStateFields, alertStateOf } from '../src/read.ts';

const rules = parseRules(defaultRules);
const fields = alertStateFields(rules);
const heatClasses = [...new Set(rules.weights.map((w) => String(w.halfLife ?? rules.defaults.halfLife)))];
const streakIds = rules.alerts.filter((a) => a.kind === 'streak').map((a) => a.id);
const alertIds = rules.alerts.map((a) => a.id);

/** A lead's state hash as the scripts leave it: counters, heat, streak days, alert markers and more. */
const stateHash = fc
  .record({
    heat: fc.array(fc.tuple(fc.constantFrom(...heatClasses), fc.integer({ min: 0, max: 5_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }))),
    streaks: fc.array(fc.tuple(fc.constantFrom(...streakIds), fc.uniqueArray(fc.integer({ min: 20_000, max: 20_500 }), { minLength: 1, maxLength: 5 }))),
    fired: fc.array(fc.tuple(fc.constantFrom(...alertIds), fc.integer({ min: 20_000, max: 20_500 }))),
    events: fc.nat(),
  })
  .map(({ heat, streaks, fired, events }) => {
    const state: Record<string, string> = { events: String(events), 'n:page': String(events), first_seen: '1', last_seen: '2' };
    for (const [k, era, sum] of heat) Object.assign(state, { [`heat:${k}:e`]: String(era), [`heat:${k}:s`]: String(sum) });
    for (const [id, days] of streaks) state[`sd:${id}`] = days.sort((a, b) => a - b).join(',');
    for (const [id, day] of fired) Object.assign(state, { [`alert_last:${id}`]: `${day}|${day}`, [`alert:${id}:run-${day}`]: 'enqueued' });
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

  it('leave out counters and alert markers, which grow with the lead', () => {
    expect(fields.some((f) => f.startsWith('alert:') || f.startsWith('n:') || f === 'events')).toBe(false);
  });
});
