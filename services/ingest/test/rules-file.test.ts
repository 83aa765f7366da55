import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { readRulesFile } from '@leadscore/rules-source';

const documented = fileURLToPath(new URL('../../../packages/scoring/rules/default.yaml', import.meta.url));

describe('the documented default rules file', () => {
  it('says exactly what the built-in defaults say', () => {
    expect(readRulesFile(documented)).toEqual(parseRules(defaultRules));
  });
});
