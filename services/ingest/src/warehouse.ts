import type { ClickHouseClient } from '@clickhouse/client';
import type { ConflictRow, EventRow, LedgerRow, LinkRow } from './rows.ts';

/**
 * The ingest worker's ClickHouse writes. Tables are ReplacingMergeTree keyed by message id (or linked profile), so a
 * batch written again after a crash adds no count.
 */
export function createWarehouse(client: ClickHouseClient, database: string) {
  const insert = async (table: string, values: readonly object[]) => {
    if (values.length === 0) return;
    await client.insert({ table: `${database}.${table}`, values: values as object[], format: 'JSONEachRow' });
  };
  return {
    async write(rows: { events?: readonly EventRow[]; links?: readonly LinkRow[]; conflicts?: readonly ConflictRow[]; ledger?: readonly LedgerRow[] }): Promise<number> {
      const tables = [
        ['events', rows.events ?? []],
        ['identity_links', rows.links ?? []],
        ['identity_conflicts', rows.conflicts ?? []],
        ['score_ledger', rows.ledger ?? []],
      ] as const;
      await Promise.all(tables.map(([table, values]) => insert(table, values)));
      return tables.filter(([, values]) => values.length > 0).length;
    },
  };
}

export type Warehouse = ReturnType<typeof createWarehouse>;
