import { describe, expect, it } from 'vitest';
import { readRulesFile } from '@leadscore/rules-source';

describe('the example rules file the README backtests', () => {
  it('is a valid rules file that differs from the defaults where it says', () => {
    const rules = readRulesFile(new URL('../../../docs/examples/rules-pricing-2-days.yaml', import.meta.url).pathname);
    expect(rules.version).toBe('pricing-2-days');
    expect(rules.tiers.hot).toBe(35);
    expect(rules.alerts.find((a) => a.id === 'pricing-streak')).toMatchObject({ days: 2 });
  });
});
