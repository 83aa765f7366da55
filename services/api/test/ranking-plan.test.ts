import { describe, expect, it } from 'vitest';
import { ACTION_FRESH_MS, leadChanges, reasonsOf, suggestionOf, type RankingEntry } from '../src/ranking-plan.ts';

const entry = (over: Partial<RankingEntry>): RankingEntry => ({ lead: 'u:ann', tier: 'hot', grade: 'A', heat: 50, priority: 0, company: null, owner: null, region: null, tags: [], fit: [], role: 'EB', stage: 'new', lastSeen: 1_000, why: [], action: null, ...over });
const map = (...entries: RankingEntry[]) => new Map(entries.map((e) => [e.lead, e]));

describe('the changes between two sweeps', () => {
  it('call a tier fall with no event since the last sweep decay, and one with events activity', () => {
    expect(leadChanges(map(entry({})), map(entry({ tier: 'warm' })), 2_000, 3_000)).toEqual([{ kind: 'tier', lead: 'u:ann', from: 'hot', to: 'warm', cause: 'decay', at: 3_000 }]);
    expect(leadChanges(map(entry({})), map(entry({ tier: 'warm', lastSeen: 2_500 })), 2_000, 3_000)[0]?.cause).toBe('activity');
  });

  it('report grade, stage and role changes, and a lead gone quiet as cold', () => {
    const changes = leadChanges(map(entry({}), entry({ lead: 'u:bob', tier: 'warm' })), map(entry({ grade: 'B', stage: 'active', role: 'TB' })), 2_000, 3_000);
    expect(changes.map((c) => [c.lead, c.kind, c.from, c.to, c.cause])).toEqual([
      ['u:ann', 'grade', 'A', 'B', 'activity'],
      ['u:ann', 'stage', 'new', 'active', 'snapshot'],
      ['u:ann', 'role', 'EB', 'TB', 'activity'],
      ['u:bob', 'tier', 'warm', 'cold', 'decay'],
    ]);
  });

  it('report nothing for a lead new to the ranking', () => {
    expect(leadChanges(map(), map(entry({})), 0, 1)).toEqual([]);
  });
});

const HOUR = 3_600_000;
const line = (messageId: string, ruleId: string, weight: number, at: number, halfLifeMs = 24 * HOUR) => ({ messageId, ruleId, weight, at, halfLifeMs, rulesVersion: 'v1' });

describe('why a lead is hot, in one line', () => {
  it('sums what is left of each rule\'s weights now and counts its events, largest first', () => {
    const now = 48 * HOUR;
    const why = reasonsOf([line('m1', 'pricing', 10, now - 24 * HOUR), line('m2', 'pricing', 10, now), line('m3', 'demo-form', 40, now - 24 * HOUR)], now);
    expect(why).toEqual([
      { rule: 'demo-form', events: 1, heat: 20 },
      { rule: 'pricing', events: 2, heat: 15 },
    ]);
  });

  it('leaves out rules whose weight has faded and keeps the top three', () => {
    const now = 100 * 24 * HOUR;
    const lines = [line('old', 'faded', 10, 0), ...['a', 'b', 'c', 'd'].map((r, i) => line(`m${r}`, r, 10 + i, now))];
    expect(reasonsOf(lines, now).map((r) => r.rule)).toEqual(['d', 'c', 'b']);
  });
});

describe('the suggested action', () => {
  const rules = { alerts: [{ id: 'pricing-streak', action: 'call today' }, { id: 'demo-request', action: 'call within one business day' }] } as never;
  it('is the newest fresh alert\'s action', () => {
    const now = 10 * 24 * HOUR;
    const markers = [
      { rule: 'pricing-streak', window: 'run-1', state: 'enqueued' as const, at: now - 3 * HOUR },
      { rule: 'demo-request', window: 'form-m1', state: 'enqueued' as const, at: now - HOUR },
    ];
    expect(suggestionOf(markers, rules, now)).toEqual({ rule: 'demo-request', text: 'call within one business day', at: new Date(now - HOUR).toISOString() });
  });

  it('is, of alerts fired together, the one the rules file lists first', () => {
    const now = 10 * 24 * HOUR;
    const markers = [
      { rule: 'demo-request', window: 'form-m1', state: 'enqueued' as const, at: now - HOUR },
      { rule: 'pricing-streak', window: 'run-1', state: 'enqueued' as const, at: now - HOUR },
    ];
    expect(suggestionOf(markers, rules, now)?.rule).toBe('pricing-streak');
  });

  it('is none once the alert is older than a week, or when its rule is gone from the rules', () => {
    const now = 10 * 24 * HOUR;
    expect(suggestionOf([{ rule: 'pricing-streak', window: 'run-1', state: 'enqueued', at: now - ACTION_FRESH_MS - 1 }], rules, now)).toBeNull();
    expect(suggestionOf([{ rule: 'retired-rule', window: 'w', state: 'enqueued', at: now }], rules, now)).toBeNull();
  });
});
