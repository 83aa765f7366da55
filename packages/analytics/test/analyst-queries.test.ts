import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ANALYST_QUERIES } from '../src/analyst-queries.ts';

const doc = readFileSync(new URL('../../../docs/analysts.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim());

describe('the analyst page\'s queries', () => {
  for (const [name, query] of Object.entries(ANALYST_QUERIES)) {
    it(`${name} is word for word a ready query of docs/analysts.md (which runs them on both ClickHouse versions)`, () => {
      expect(documented).toContain(query);
    });
  }
});
