import { literal, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { ORDER_EVENTS } from '@leadscore/scoring';

/**
 * Retention of raw data in ClickHouse: month partitions older than the configured number of months are dropped
 * (18.16 has no TTL), except the rows the rollups and a rescore need whatever their age: order and refund events
 * (first purchase, lifetime value). A partition holding such rows is replaced by a copy of only those (REPLACE
 * PARTITION, atomic), so every query reads the same tables as before. Identity links and conflicts, merges, rollup
 * snapshots and dead letters are not touched here (the README states each store's retention).
 */
const kept = `type = 'track' AND event IN (${literal(ORDER_EVENTS.completed)}, ${literal(ORDER_EVENTS.refunded)})`;

export interface RetainedTable {
  readonly table: string;
  /** The DateTime column its month partitions are by (PARTITION BY toYYYYMM(column)). */
  readonly time: string;
  /** Rows kept at any age, or none. */
  readonly keep?: string;
}

export const RETAINED_TABLES: readonly RetainedTable[] = [
  { table: 'events', time: 'timestamp', keep: kept },
  { table: 'events_by_profile', time: 'timestamp', keep: kept },
  { table: 'score_ledger', time: 'event_time' },
  { table: 'alert_deliveries', time: 'at' },
];

/** The first month kept (YYYYMM): partitions before it go. `months` counts the current one. */
export function retentionCutoff(now: Date, months: number): number {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
  return first.getUTCFullYear() * 100 + first.getUTCMonth() + 1;
}

/** An old partition as found: all its rows, and how many of them are kept at any age. */
export interface OldPartition {
  readonly table: string;
  readonly month: number;
  readonly rows: number;
  readonly kept: number;
}

export type RetentionStep = { readonly kind: 'drop'; readonly table: string; readonly month: number; readonly rows: number } | { readonly kind: 'trim'; readonly table: string; readonly month: number; readonly rows: number; readonly kept: number };

/** Pure: what to do with each old partition. One trimmed already (only kept rows left) needs nothing. */
export function planRetention(partitions: readonly OldPartition[]): RetentionStep[] {
  return partitions.flatMap((p): RetentionStep[] => {
    if (p.kept === 0) return [{ kind: 'drop', table: p.table, month: p.month, rows: p.rows }];
    if (p.kept < p.rows) return [{ kind: 'trim', table: p.table, month: p.month, rows: p.rows, kept: p.kept }];
    return [];
  });
}

/** Finds the partitions older than the cutoff, and what each holds. */
export async function oldPartitions(exec: SqlExecutor, database: string, cutoff: number, tables: readonly RetainedTable[] = RETAINED_TABLES): Promise<OldPartition[]> {
  const db = quoteIdentifier(database).text;
  const out: OldPartition[] = [];
  for (const t of tables) {
    const rows = await exec.rows<{ month: string | number; rows: string | number; kept: string | number }>(
      `SELECT toYYYYMM(${t.time}) AS month, count() AS rows, ${t.keep ? `countIf(${t.keep})` : '0'} AS kept FROM ${db}.${t.table} WHERE ${t.time} < toDateTime(${literal(`${String(cutoff).slice(0, 4)}-${String(cutoff).slice(4)}-01 00:00:00`)}, 'UTC') GROUP BY month ORDER BY month`,
    );
    for (const r of rows) out.push({ table: t.table, month: Number(r.month), rows: Number(r.rows), kept: Number(r.kept) });
  }
  return out;
}

/** Applies one step: a DROP PARTITION, or the partition replaced by a copy of its kept rows. */
export async function applyRetentionStep(exec: SqlExecutor, database: string, step: RetentionStep, tables: readonly RetainedTable[] = RETAINED_TABLES): Promise<void> {
  const db = quoteIdentifier(database).text;
  if (step.kind === 'drop') return exec.command(`ALTER TABLE ${db}.${step.table} DROP PARTITION ${step.month}`);
  const spec = tables.find((t) => t.table === step.table);
  if (!spec?.keep) throw new Error(`table ${step.table} keeps no rows at any age`);
  const copy = `${db}.${quoteIdentifier(`${step.table}_retention_${step.month}`).text}`;
  await exec.command(`DROP TABLE IF EXISTS ${copy}`);
  await exec.command(`CREATE TABLE ${copy} AS ${db}.${step.table}`);
  try {
    await exec.command(`INSERT INTO ${copy} SELECT * FROM ${db}.${step.table} WHERE toYYYYMM(${spec.time}) = ${step.month} AND ${spec.keep}`);
    await exec.command(`ALTER TABLE ${db}.${step.table} REPLACE PARTITION ${step.month} FROM ${copy}`);
  } finally {
    await exec.command(`DROP TABLE IF EXISTS ${copy}`);
  }
}

export interface RetentionResult {
  readonly cutoff: number;
  readonly steps: readonly RetentionStep[];
  readonly rowsRemoved: number;
}

/** Applies the retention of `months` months as of `now` (0: keep everything). Idempotent. */
export async function applyRetention(exec: SqlExecutor, database: string, months: number, now: Date): Promise<RetentionResult> {
  const cutoff = retentionCutoff(now, Math.max(months, 1));
  if (months <= 0) return { cutoff, steps: [], rowsRemoved: 0 };
  const steps = planRetention(await oldPartitions(exec, database, cutoff));
  for (const step of steps) await applyRetentionStep(exec, database, step);
  return { cutoff, steps, rowsRemoved: steps.reduce((n, s) => n + (s.kind === 'drop' ? s.rows : s.rows - s.kept), 0) };
}
