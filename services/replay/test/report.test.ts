import { describe, expect, it } from 'vitest';
import { alertCounts, alertDiff, alertKeys, effectiveness, type AlertRecord } from '../src/report.ts';

const DAY = 86_400_000;
const alert = (lead: string, at: number, rule = 'pricing-streak', window = `w-${lead}`): AlertRecord => ({ lead, rule, window, at });

/**
 * Ten leads, all first seen on day 0. Alerted: a (day 1, orders day 5), b (day 2, orders day 40: too late),
 * c (day 3, never orders), d (day 4, orders on day 4 at the same moment: the order made it hot, proves nothing).
 * Not alerted: e (orders day 10), f … j (never order).
 */
const fixture = {
  firstSeen: new Map(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((l) => [l, 0])),
  alerts: [alert('a', 1 * DAY), alert('a', 2 * DAY, 'became-hot'), alert('b', 2 * DAY), alert('c', 3 * DAY), alert('d', 4 * DAY)],
  conversions: [
    { lead: 'a', at: 5 * DAY },
    { lead: 'b', at: 40 * DAY },
    { lead: 'd', at: 4 * DAY },
    { lead: 'e', at: 10 * DAY },
  ],
  horizonMs: 30 * DAY,
};

describe('how well the alerts called conversions', () => {
  const e = effectiveness(fixture);

  it('counts the leads, and the share the rules alerted', () => {
    expect(e).toMatchObject({ leads: 10, alerted: 4, alertedShare: 0.4 });
  });

  it('gives precision: alerted leads that converted strictly after their first alert, within the horizon', () => {
    expect(e.alertedConverted).toBe(1);
    expect(e.precision).toBe(0.25);
  });

  it('gives recall: of the leads that converted at all, those the alerts called in time', () => {
    expect(e.converted).toBe(4);
    expect(e.recall).toBe(0.25);
  });

  it('gives lift: the alerted leads\' conversion rate over the others\'', () => {
    expect(e.otherRate).toBeCloseTo(1 / 6);
    expect(e.lift).toBeCloseTo(0.25 / (1 / 6));
  });

  it('gives no lift when the others never convert, rather than dividing by zero', () => {
    expect(effectiveness({ ...fixture, conversions: [{ lead: 'a', at: 5 * DAY }] }).lift).toBeNull();
  });
});

describe('the alerts a backtest lists', () => {
  it('are counted per rule and per day', () => {
    const { perRule, perDay } = alertCounts(fixture.alerts, (ms) => new Date(ms).toISOString().slice(0, 10));
    expect(perRule).toEqual({ 'pricing-streak': 4, 'became-hot': 1 });
    expect(perDay['1970-01-03']).toEqual({ 'became-hot': 1, 'pricing-streak': 1 });
  });

  it('are keyed by lead, rule and window, each once, in a fixed order', () => {
    expect(alertKeys([...fixture.alerts, fixture.alerts[0] as AlertRecord])).toHaveLength(5);
  });

  it('differ between two rules files by the keys gained and lost', () => {
    expect(alertDiff(fixture.alerts.slice(0, 3), fixture.alerts.slice(1))).toEqual({ gained: ['c\tpricing-streak\tw-c', 'd\tpricing-streak\tw-d'], lost: ['a\tpricing-streak\tw-a'] });
  });
});
