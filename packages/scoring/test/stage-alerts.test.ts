import { describe, expect, it } from 'vitest';
import { decideStageAlerts, defaultRules, parseRules } from '../src/index.ts';

const rules = parseRules(defaultRules);
const JUNE = Date.parse('2026-06-30T00:00:00Z');
const change = { subject: 'u:ann', stage: 'dormant', previousStage: 'active', abcClass: 'A', asOf: JUNE, stageChangedAt: JUNE };

describe('stage alerts', () => {
  it('fire the default rule when an A customer turns dormant in this snapshot, once per snapshot', () => {
    expect(decideStageAlerts(rules, change)).toEqual([
      {
        ruleId: 'a-customer-dormant',
        kind: 'stage',
        window: String(JUNE),
        action: 'an A customer turned dormant: the account manager calls',
        evidence: { from: 'active', to: 'dormant', abcClass: 'A', snapshot: '2026-06-30T00:00:00.000Z' },
      },
    ]);
  });

  it('do not fire for a B or C customer', () => {
    expect(decideStageAlerts(rules, { ...change, abcClass: 'C' })).toEqual([]);
  });

  it('do not fire for a change carried from an earlier snapshot', () => {
    expect(decideStageAlerts(rules, { ...change, stageChangedAt: JUNE - 86_400_000 })).toEqual([]);
  });

  it('do not fire for a lead seen for the first time (no earlier stage)', () => {
    const { previousStage: _, ...first } = change;
    expect(decideStageAlerts(rules, first)).toEqual([]);
  });

  it('do not fire a lead rule for a company, unless the rule names companies', () => {
    expect(decideStageAlerts(rules, { ...change, subject: 'c:acme' })).toEqual([]);
    const companyRules = parseRules({ ...defaultRules, alerts: [{ id: 'account-churned', kind: 'stage', to: 'churned', subject: 'company', action: 'win the account back' }] });
    expect(decideStageAlerts(companyRules, { ...change, subject: 'c:acme', stage: 'churned', previousStage: 'dormant' }).map((a) => a.ruleId)).toEqual(['account-churned']);
  });
});
