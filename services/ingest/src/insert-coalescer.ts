import type { ClickHouseClient } from '@clickhouse/client';

interface Waiting {
  readonly rows: readonly object[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface TableQueue {
  waiting: Waiting[];
  rows: number;
  inFlight: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Inserts of the batches in hand. With `lingerMs` 0 each batch's rows are an insert of their own, at once and side by
 * side: the lowest latency. With a linger they are grouped per table: one insert at a time, and the rows that arrive
 * within `lingerMs` of the first waiting ones (or while an insert runs) go together in the next. ClickHouse makes a
 * part of every insert and merges parts in the background; small live batches inserted one by one keep it merging,
 * where it wants about one insert a second per table. Each caller's promise settles with the insert its rows went
 * in, so a batch is committed only after its rows are written, and a failed insert fails every batch in it (each is
 * retried as a whole).
 */
/**
 * Current ClickHouse refuses an insert that touches more than 100 partitions of a table (max_partitions_per_insert_block);
 * the tables are partitioned by month, so only a history import spanning more than eight years gets near it.
 */
const MAX_PARTITIONS_PER_INSERT = 100;

export function createInsertCoalescer(client: ClickHouseClient, options: { lingerMs: number; maxRows?: number; onInsert?: (table: string, rows: number) => void; partitionOf?: (table: string, row: object) => string }) {
  const maxRows = options.maxRows ?? 100_000;
  const tables = new Map<string, TableQueue>();

  /** One insert, or several in turn when the rows span more partitions than one insert may. */
  async function insertRows(table: string, values: readonly object[]): Promise<void> {
    const partitionOf = options.partitionOf;
    const chunks: object[][] = [];
    if (!partitionOf) chunks.push([...values]);
    else {
      const byPartition = new Map<string, object[]>();
      for (const row of values) {
        const key = partitionOf(table, row);
        const list = byPartition.get(key);
        if (list) list.push(row);
        else byPartition.set(key, [row]);
      }
      const groups = [...byPartition.values()];
      for (let i = 0; i < groups.length; i += MAX_PARTITIONS_PER_INSERT) chunks.push(groups.slice(i, i + MAX_PARTITIONS_PER_INSERT).flat());
    }
    for (const chunk of chunks) {
      await client.insert({ table, values: chunk, format: 'JSONEachRow' });
      options.onInsert?.(table, chunk.length);
    }
  }

  function schedule(table: string, queue: TableQueue): void {
    if (queue.inFlight || queue.waiting.length === 0) return;
    if (queue.rows >= maxRows) return void flush(table, queue);
    queue.timer ??= setTimeout(() => void flush(table, queue), options.lingerMs);
  }

  async function flush(table: string, queue: TableQueue): Promise<void> {
    if (queue.inFlight || queue.waiting.length === 0) return;
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = undefined;
    const waiting = queue.waiting;
    queue.waiting = [];
    queue.rows = 0;
    queue.inFlight = true;
    const values = waiting.flatMap((w) => w.rows) as object[];
    try {
      await insertRows(table, values);
      for (const w of waiting) w.resolve();
    } catch (err) {
      for (const w of waiting) w.reject(err);
    } finally {
      queue.inFlight = false;
      schedule(table, queue);
    }
  }

  return {
    /** Sends what lingers now (shutting down: no reason to wait for company). */
    async flushAll(): Promise<void> {
      await Promise.all([...tables].map(([table, queue]) => flush(table, queue)));
    },
    insert(table: string, rows: readonly object[]): Promise<void> {
      if (rows.length === 0) return Promise.resolve();
      if (options.lingerMs <= 0) return insertRows(table, rows);
      let queue = tables.get(table);
      if (!queue) {
        queue = { waiting: [], rows: 0, inFlight: false };
        tables.set(table, queue);
      }
      const q = queue;
      return new Promise<void>((resolve, reject) => {
        q.waiting.push({ rows, resolve, reject });
        q.rows += rows.length;
        schedule(table, q);
      });
    },
  };
}

export type InsertCoalescer = ReturnType<typeof createInsertCoalescer>;
