import { literal, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { writeRollupVerdicts, type PortraitScripts, type RollupWrite, type RollupWriteOutcome } from '@leadscore/portrait';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** A snapshot row as the write-back reads it: the edge, typed. */
const verdictRow = z.object({
  id: z.string(),
  lifecycle_stage: z.string(),
  rfm_segment: z.string().nullable(),
  rfm_code: z.string().nullable(),
  abc_class: z.string().nullable(),
  stage_changed_at: z.coerce.number(),
  previous_stage: z.string().nullable(),
});
type VerdictRow = z.infer<typeof verdictRow>;

/** What a snapshot row says of its subject, for its portrait. Pure. */
export function verdictOf(row: VerdictRow, subject: string, asOf: Date): RollupWrite {
  return {
    subject,
    verdict: {
      asOf: asOf.getTime(),
      stage: row.lifecycle_stage,
      ...(row.rfm_segment !== null ? { segment: row.rfm_segment } : {}),
      ...(row.rfm_code !== null ? { rfmCode: row.rfm_code } : {}),
      ...(row.abc_class !== null ? { abcClass: row.abc_class } : {}),
      stageChangedAt: row.stage_changed_at * 1000,
      ...(row.previous_stage !== null ? { previousStage: row.previous_stage } : {}),
    },
  };
}

export type WriteBackCounts = Record<RollupWriteOutcome, number>;

export interface WriteBackResult {
  readonly leads: WriteBackCounts;
  readonly companies: WriteBackCounts;
  readonly ms: number;
}

const SUBJECTS = [
  { table: 'rollup_leads', id: 'lead_id', subject: (id: string) => id, key: 'leads' },
  { table: 'rollup_companies', id: 'company_id', subject: (id: string) => `c:${id}`, key: 'companies' },
] as const;

/**
 * Writes a published snapshot's verdicts (stage, segment, class) into the Redis portraits of its leads and companies,
 * a page of `chunk` rows at a time, each page in one pipeline: bounded in memory and in Redis round trips, and
 * idempotent (the same verdict again is `same`; an older snapshot never overwrites a newer, `stale`).
 */
export async function writeBack(
  deps: {
    readonly exec: SqlExecutor;
    readonly redis: Redis;
    readonly scripts: PortraitScripts;
    readonly namespace: string;
    readonly chunk: number;
    /** Each page's verdicts that changed a portrait, as they are written (stage alerts are decided on these). */
    readonly onApplied?: (writes: readonly RollupWrite[]) => Promise<void>;
  },
  target: { readonly database: string; readonly asOf: Date },
): Promise<WriteBackResult> {
  const began = performance.now();
  const db = quoteIdentifier(target.database).text;
  const result: Record<'leads' | 'companies', WriteBackCounts> = {
    leads: { applied: 0, same: 0, stale: 0, absent: 0, linked: 0 },
    companies: { applied: 0, same: 0, stale: 0, absent: 0, linked: 0 },
  };
  for (const s of SUBJECTS) {
    let after = '';
    for (;;) {
      // Keyset pages: each reads the next rows in id order, however large the snapshot.
      const rows = (
        await deps.exec.rows<unknown>(
          `SELECT ${s.id} AS id, lifecycle_stage, rfm_segment, rfm_code, abc_class, toUInt32(stage_changed_at) AS stage_changed_at, previous_stage
FROM ${db}.${s.table} WHERE as_of = ${literal(target.asOf)} AND ${s.id} > ${literal(after)} ORDER BY ${s.id} LIMIT ${deps.chunk}`,
        )
      ).map((r) => verdictRow.parse(r));
      if (rows.length === 0) break;
      const written = await writeRollupVerdicts(deps.redis, deps.scripts, deps.namespace, rows.map((r) => verdictOf(r, s.subject(r.id), target.asOf)));
      for (const { outcome } of written) result[s.key][outcome] += 1;
      await deps.onApplied?.(written.filter((w) => w.outcome === 'applied').map((w) => w.write));
      after = (rows.at(-1) as VerdictRow).id;
      if (rows.length < deps.chunk) break;
    }
  }
  return { ...result, ms: performance.now() - began };
}
