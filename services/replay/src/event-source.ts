import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier, sql } from '@leadscore/clickhouse';
import type { TrackedEvent } from '@leadscore/events';
import { eventFromRow, REPLAY_COLUMNS, type ReplayRow } from '@leadscore/ingest/src/rows.ts';

/**
 * A period's events from ClickHouse, oldest first (by millisecond event time, then message id), rebuilt as the
 * ingest worker read them, streamed: a month of traffic is never held in memory. A message stored twice (a batch
 * inserted again after a crash) comes twice; the portraits' dedup counts it once, as it did live.
 */
export async function* eventsBetween(clickhouse: ClickHouseClient, database: string, fromMs: number, toMs: number): AsyncGenerator<TrackedEvent> {
  const query = `SELECT ${REPLAY_COLUMNS.join(', ')} FROM ${quoteIdentifier(database).text}.events
WHERE timestamp >= toDateTime(${Math.floor(fromMs / 1000)}, 'UTC') AND timestamp <= toDateTime(${Math.ceil(toMs / 1000)}, 'UTC')
  AND timestamp_ms >= ${sql`${fromMs}`} AND timestamp_ms < ${sql`${toMs}`}
ORDER BY timestamp_ms, message_id`;
  const result = await clickhouse.query({ query, format: 'JSONEachRow' });
  for await (const rows of result.stream()) {
    for (const row of rows) yield eventFromRow(row.json() as ReplayRow);
  }
}
