import type { InsertCoalescer } from './insert-coalescer.ts';
import type { ConflictRow, EventRow, LedgerRow, LinkRow } from './rows.ts';

/**
 * The ingest worker's ClickHouse writes. Tables are ReplacingMergeTree keyed by message id (or linked profile), so a
 * batch written again after a crash adds no count.
 */
export function createWarehouse(inserts: InsertCoalescer, database: string) {
  const insert = (table: string, values: readonly object[]) => inserts.insert(`${database}.${table}`, values);
  return {
    async write(rows: { events?: readonly EventRow[]; links?: readonly LinkRow[]; conflicts?: readonly ConflictRow[]; ledger?: readonly LedgerRow[] }): Promise<void> {
      const tables = [
        ['events', rows.events ?? []],
        ['identity_links', rows.links ?? []],
        ['identity_conflicts', rows.conflicts ?? []],
        ['score_ledger', rows.ledger ?? []],
      ] as const;
      await Promise.all(tables.map(([table, values]) => insert(table, values)));
    },
  };
}

export type Warehouse = ReturnType<typeof createWarehouse>;
