import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ImportKind } from '../kinds.ts';
import { DEFAULT_MAPPING, parseMapping } from '../mapping.ts';
import { planRows } from '../plan.ts';
import { readCsv } from '../read-csv.ts';

const example = (name: string) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));

async function plan(kind: ImportKind, file: string, mappingFile?: string) {
  const csv = await readCsv(example(file));
  const mapping = mappingFile ? parseMapping(readFileSync(example(mappingFile), 'utf8'), mappingFile) : DEFAULT_MAPPING;
  return planRows(kind, csv.header, csv.rows, { mapping, now: new Date() });
}

describe('the README\'s examples', () => {
  it.each([
    ['leads', 'leads.csv'],
    ['companies', 'companies.csv'],
    ['orders', 'orders.csv'],
  ] as const)('%s import from %s without a rejected row', async (kind, file) => {
    const result = await plan(kind, file);
    expect(result.rejected).toEqual([]);
    expect(result.outgoing.length).toBeGreaterThan(0);
  });

  it('import HubSpot\'s leads with its mapping, day-first dates and an extra trait', async () => {
    const result = await plan('leads', 'hubspot-leads.csv', 'hubspot-mapping.yaml');
    expect(result.rejected).toEqual([]);
    expect(result.outgoing[0]?.message).toMatchObject({ userId: '901', timestamp: '2025-04-03T14:05:00.000Z', traits: { lifecycle_stage: 'salesqualifiedlead' } });
  });

  it('point leads and orders at the companies\' ids', async () => {
    const companies = new Set((await plan('companies', 'companies.csv')).outgoing.map((r) => (r.message as { groupId: string }).groupId));
    const leads = (await plan('leads', 'leads.csv')).outgoing.map((r) => (r.message.context as { groupId?: string } | undefined)?.groupId);
    expect(leads.every((g) => g !== undefined && companies.has(g))).toBe(true);
  });
});
