import { describe, expect, it } from 'vitest';
import { billingHistory } from '../src/index.ts';

const NOW = '2026-06-30T12:00:00Z';
const nowMs = Date.parse(NOW);
const DAY = 86_400_000;
const run = billingHistory({ seed: 42, now: NOW });

describe('the billing history', () => {
  it('is the same for the same seed', () => {
    expect(billingHistory({ seed: 42, now: NOW })).toEqual(run);
  });

  it('has customers in every lifecycle stage', () => {
    expect(new Set(Object.values(run.expected.stages))).toEqual(new Set(['new', 'active', 'dormant', 'churned']));
  });

  it('keeps each customer days away from the stage thresholds (90, 180, 365 days; activity 90)', () => {
    for (const [lead, stage] of Object.entries(run.expected.stages)) {
      const own = run.messages.filter((m) => `u:${m.userId}` === lead);
      const orders = own.filter((m) => m.type === 'track' && m.event === 'Order Completed').map((m) => (nowMs - Date.parse(m.timestamp)) / DAY);
      const lastActivity = Math.min(...own.map((m) => (nowMs - Date.parse(m.timestamp)) / DAY));
      const [first, last] = [Math.max(...orders), Math.min(...orders)];
      if (stage === 'new') expect(first, lead).toBeLessThan(85);
      if (stage === 'active') expect([first > 95, last < 175], lead).toEqual([true, true]);
      if (stage === 'dormant') expect(last < 360 || lastActivity < 85, lead).toBe(true);
      if (stage === 'churned') expect([last > 370, lastActivity > 95], lead).toEqual([true, true]);
    }
  });

  it('keeps every order below 100,000 in its currency, so the live big-customer tag is untouched', () => {
    for (const m of run.messages) if (m.type === 'track' && m.event === 'Order Completed') expect(m.properties['revenue'] as number).toBeLessThan(100_000);
  });
});
