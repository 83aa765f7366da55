import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier } from '@leadscore/clickhouse/sql';
import { seedMergedUsers, type MergedUser } from '@leadscore/portrait';
import type { Redis } from 'ioredis';
import { z } from 'zod';

const row = z.object({ lead: z.string(), merged_into: z.string(), at_ms: z.coerce.number(), message_id: z.string() });

/** The merges people made (lead_merges, each user's latest), for a replay to start from (seedMergedUsers). */
export async function manualMerges(clickhouse: ClickHouseClient, database: string): Promise<MergedUser[]> {
  const result = await clickhouse.query({
    query: `SELECT lead, argMax(merged_into, merged_at) AS merged_into, toUInt64(max(merged_at)) * 1000 AS at_ms, argMax(message_id, merged_at) AS message_id
FROM ${quoteIdentifier(database).text}.lead_merges FINAL GROUP BY lead ORDER BY lead`,
    format: 'JSONEachRow',
  });
  return (await result.json()).map((r) => row.parse(r)).map((r) => ({ user: r.lead, into: r.merged_into, at: r.at_ms, messageId: r.message_id }));
}

/** A scratch namespace seeded with the merges people made, before a replay into it; the merges, for the replay's lanes. */
export async function seedManualMerges(deps: { readonly redis: Redis; readonly clickhouse: ClickHouseClient; readonly database: string }, scratch: string): Promise<MergedUser[]> {
  const merges = await manualMerges(deps.clickhouse, deps.database);
  await seedMergedUsers(deps.redis, scratch, merges);
  return merges;
}
