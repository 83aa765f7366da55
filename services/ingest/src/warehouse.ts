import type { ClickHouseClient } from '@clickhouse/client';
import type { ConflictRow, EventRow, LinkRow } from './rows.ts';

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
    async write(rows: { events: readonly EventRow[]; links: readonly LinkRow[]; conflicts: readonly ConflictRow[] }): Promise<number> {
      await Promise.all([insert('events', rows.events), insert('identity_links', rows.links), insert('identity_conflicts', rows.conflicts)]);
      return [rows.events, rows.links, rows.conflicts].filter((r) => r.length > 0).length;
    },
  };
}

export type Warehouse = ReturnType<typeof createWarehouse>;
