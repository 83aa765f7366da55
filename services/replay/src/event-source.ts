import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier, sql } from '@leadscore/clickhouse';
import type { TrackedEvent } from '@leadscore/events';
import { eventFromRow, REPLAY_COLUMNS, type ReplayRow } from '@leadscore/ingest/src/rows.ts';

/** Per Kafka partition of the events topic, the records wanted: offsets from `from` (inclusive) to `to` (exclusive). */
export type OffsetRange = ReadonlyMap<number, { readonly from: bigint; readonly to: bigint }>;

function offsetCondition(range: OffsetRange): string {
  const parts = [...range].map(([p, r]) => sql`(kafka_partition = ${p} AND kafka_offset >= ${Number(r.from)} AND kafka_offset < ${Number(r.to)})`);
  return parts.length === 0 ? '0' : parts.join(' OR ');
}

/** Where a stopped replay was: its last event done, in the order events are read (event time, then message id). */
export interface ReplayPosition {
  readonly timestampMs: number;
  readonly messageId: string;
}

/** How many events eventsBetween would give (for progress: done of total). */
export async function countBetween(clickhouse: ClickHouseClient, database: string, fromMs: number, toMs: number, offsets?: OffsetRange): Promise<number> {
  const query = `SELECT count() AS n FROM ${quoteIdentifier(database).text}.events
WHERE timestamp_ms >= ${sql`${fromMs}`} AND timestamp_ms < ${sql`${toMs}`}${offsets ? ` AND (${offsetCondition(offsets)})` : ''}`;
  const [row] = await (await clickhouse.query({ query, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(row?.n ?? 0);
}

/**
 * A period's events from ClickHouse, oldest first (by millisecond event time, then message id), rebuilt as the
 * ingest worker read them, streamed: a month of traffic is never held in memory. A message stored twice (a batch
 * inserted again after a crash) comes twice; the portraits' dedup counts it once, as it did live. A resumed replay
 * reads from `after` on.
 */
export async function* eventsBetween(clickhouse: ClickHouseClient, database: string, fromMs: number, toMs: number, offsets?: OffsetRange, after?: ReplayPosition): AsyncGenerator<TrackedEvent> {
  const resume = after ? sql`\n  AND (timestamp_ms > ${after.timestampMs} OR (timestamp_ms = ${after.timestampMs} AND message_id > ${after.messageId}))` : '';
  const query = `SELECT ${REPLAY_COLUMNS.join(', ')} FROM ${quoteIdentifier(database).text}.events
WHERE timestamp >= toDateTime(${Math.floor(fromMs / 1000)}, 'UTC') AND timestamp <= toDateTime(${Math.ceil(toMs / 1000)}, 'UTC')
  AND timestamp_ms >= ${sql`${fromMs}`} AND timestamp_ms < ${sql`${toMs}`}${offsets ? `\n  AND (${offsetCondition(offsets)})` : ''}${resume}
ORDER BY timestamp_ms, message_id`;
  const result = await clickhouse.query({ query, format: 'JSONEachRow' });
  for await (const rows of result.stream()) {
    for (const row of rows) yield eventFromRow(row.json() as ReplayRow);
  }
}
