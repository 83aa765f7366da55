import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseErrorCode } from '@leadscore/clickhouse';
import type { InsertCoalescer } from './insert-coalescer.ts';
import type { ConflictRow, EventRow, LedgerRow, LinkRow } from './rows.ts';

/** The tables the ingest worker writes, each row with the batch index of the event it came from. */
export interface WarehouseRows {
  readonly events?: readonly Owned<EventRow>[];
  readonly identity_links?: readonly Owned<LinkRow>[];
  readonly identity_conflicts?: readonly Owned<ConflictRow>[];
  readonly score_ledger?: readonly Owned<LedgerRow>[];
}

export interface Owned<R> {
  /** The event's place in its batch. */
  readonly owner: number;
  readonly row: R;
}

/** Rows ClickHouse refused for their content, by the event they came from, with its error. */
export type RefusedRows = Map<number, Error>;

/**
 * ClickHouse's codes for a value it cannot take (parse errors, out of range, too large): the row's fault, not the
 * server's. Anything else (connection, timeout, memory, too many parts) is an outage and the batch waits.
 */
const DATA_ERRORS = new Set([6, 25, 26, 27, 32, 33, 38, 41, 53, 69, 70, 72, 117, 131, 321, 349, 407]);

/** The month partition of a row of the tables partitioned by month (`events`, `score_ledger`), '' for the others. */
export function monthOf(table: string, row: object): string {
  const r = row as { timestamp?: string; event_time?: string };
  return table.endsWith('.events') ? (r.timestamp ?? '').slice(0, 7) : table.endsWith('.score_ledger') ? (r.event_time ?? '').slice(0, 7) : '';
}

export function isDataError(err: unknown): boolean {
  const code = clickhouseErrorCode(err);
  return code !== undefined && DATA_ERRORS.has(code);
}

/**
 * The ingest worker's ClickHouse writes. Tables are ReplacingMergeTree keyed by message id (or linked profile), so a
 * batch written again after a crash adds no count. When ClickHouse refuses an insert for its content, the rows go
 * again on their own, halved until the refused ones are found: those are reported by event, every other row is
 * written.
 */
export function createWarehouse(inserts: InsertCoalescer, client: ClickHouseClient, database: string) {
  const direct = (table: string, rows: readonly Owned<object>[]) => client.insert({ table, values: rows.map((r) => r.row), format: 'JSONEachRow' });

  async function isolate(table: string, rows: readonly Owned<object>[], refused: RefusedRows): Promise<void> {
    try {
      await direct(table, rows);
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (rows.length === 1) {
        refused.set((rows[0] as Owned<object>).owner, err as Error);
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await isolate(table, rows.slice(0, half), refused);
      await isolate(table, rows.slice(half), refused);
    }
  }

  return {
    /** Writes every table's rows; resolves with the events whose rows ClickHouse refused (none, normally). */
    async write(rows: WarehouseRows): Promise<RefusedRows> {
      const refused: RefusedRows = new Map();
      await Promise.all(
        Object.entries(rows).map(async ([name, owned]: [string, readonly Owned<object>[] | undefined]) => {
          if (!owned || owned.length === 0) return;
          const table = `${database}.${name}`;
          try {
            await inserts.insert(table, owned.map((r) => r.row));
          } catch (err) {
            if (!isDataError(err)) throw err;
            // Other batches' rows may have shared the insert: this batch finds its own bad rows, if any.
            await isolate(table, owned, refused);
          }
        }),
      );
      return refused;
    },
  };
}

export type Warehouse = ReturnType<typeof createWarehouse>;
