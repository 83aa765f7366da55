import { mergedLeads, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { z } from 'zod';

/**
 * Identity conflicts for a person to resolve: what the ingest workers recorded and refused to merge on their own
 * (two known leads claiming one email), one row per (kind, lead, the lead it clashes with), newest first.
 */
export const conflictsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });
export const conflictsAnswer = z.object({
  conflicts: z.array(
    z.object({
      kind: z.string(),
      lead: z.string().describe('the lead whose event made the claim'),
      existing: z.string().describe('the lead that holds the identity already'),
      detail: z.string().describe('the latest claim, in words'),
      events: z.number().describe('claims recorded'),
      firstAt: z.string(),
      lastAt: z.string(),
    }),
  ),
});

const row = z.object({ kind: z.string(), lead: z.string(), existing: z.string(), detail: z.string(), events: z.coerce.number(), first_at: z.string(), last_at: z.string() });
const utc = (text: string) => `${text.replace(' ', 'T')}Z`;

export function createConflictsView(deps: { readonly exec: SqlExecutor; readonly database: string }) {
  return {
    async list(limit: number): Promise<z.infer<typeof conflictsAnswer>> {
      // Each side read as the lead it is now (a user merged by hand is its lead): a pair a person merged is resolved
      // and no longer listed, and a conflict of a merged user with a third lead names the lead it was merged into.
      const db = quoteIdentifier(deps.database).text;
      const rows = await deps.exec.rows(
        `SELECT kind, lead, existing_now AS existing, argMax(detail, at) AS detail, uniqExact(message_id) AS events, toString(min(at)) AS first_at, toString(max(at)) AS last_at
FROM (
  SELECT kind, lead, if(m2 != '', m2, existing) AS existing_now, detail, message_id, at
  FROM (
    SELECT kind, if(m1 != '', m1, claimed_by) AS lead, existing, detail, message_id, at
    FROM (SELECT kind, claimed_by, existing, detail, message_id, at FROM ${db}.identity_conflicts) AS c
    ANY LEFT JOIN (SELECT claimed_by, merged_into AS m1 FROM (${mergedLeads(deps.database, 'claimed_by')}) AS mc1) AS mc USING claimed_by
  ) AS c1
  ANY LEFT JOIN (SELECT existing, merged_into AS m2 FROM (${mergedLeads(deps.database, 'existing')}) AS me1) AS me USING existing
) AS c2
WHERE lead != existing_now
GROUP BY kind, lead, existing
ORDER BY max(at) DESC, lead, existing
LIMIT ${Math.floor(limit)}`,
      );
      return { conflicts: rows.map((r) => row.parse(r)).map((r) => ({ kind: r.kind, lead: r.lead, existing: r.existing, detail: r.detail, events: r.events, firstAt: utc(r.first_at), lastAt: utc(r.last_at) })) };
    },
  };
}
export type ConflictsView = ReturnType<typeof createConflictsView>;
