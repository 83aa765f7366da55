import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable } from '../../scripts/config-table.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the configuration table of the config module as it is', () => {
    expect(readme).toContain(configTable());
  });

  it('names the test command that CI runs', () => {
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    expect(readme).toContain('./scripts/test.sh');
    expect(ci).toContain('scripts/test.sh');
  });
});
