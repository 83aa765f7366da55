import { ANALYST_QUERIES } from '@leadscore/analytics';
import { z } from 'zod';

/** The analyst page's figures, each with the SQL that made it (docs/analysts.md's ready queries, run as written). */
export const rfmAnswer = z.object({
  asOf: z.string().nullable().describe('the latest snapshot; null before the first'),
  sql: z.string(),
  cells: z.array(z.object({ r: z.number(), f: z.number(), buyers: z.number(), revenue: z.number() })),
});
export const lifecycleAnswer = z.object({
  sql: z.string(),
  snapshots: z.array(z.object({ asOf: z.string(), prospect: z.number(), new: z.number(), active: z.number(), dormant: z.number(), churned: z.number() })),
});

const utc = (text: string) => `${text.replace(' ', 'T')}Z`;
const rfmRow = z.object({ r_score: z.coerce.number(), f_score: z.coerce.number(), buyers: z.coerce.number(), revenue: z.coerce.number() });
const funnelRow = z.object({ as_of: z.string(), prospect: z.coerce.number(), new: z.coerce.number(), active: z.coerce.number(), dormant: z.coerce.number(), churned: z.coerce.number() });

/**
 * Reads the rollups for the analyst page. `rows` runs SQL in the namespace's database as the session's (the
 * queries name no database, as analysts type them).
 */
export function createAnalystView(deps: { readonly rows: (sql: string) => Promise<unknown[]> }) {
  return {
    async rfm(): Promise<z.infer<typeof rfmAnswer>> {
      const [cells, latest] = await Promise.all([deps.rows(ANALYST_QUERIES.rfmGrid), deps.rows('SELECT toString(max(as_of)) AS as_of, count() AS runs FROM rollup_runs')]);
      const run = z.object({ as_of: z.string(), runs: z.coerce.number() }).parse(latest[0]);
      return {
        asOf: run.runs === 0 ? null : utc(run.as_of),
        sql: ANALYST_QUERIES.rfmGrid,
        cells: cells.map((c) => rfmRow.parse(c)).map((c) => ({ r: c.r_score, f: c.f_score, buyers: c.buyers, revenue: c.revenue })),
      };
    },
    async lifecycle(): Promise<z.infer<typeof lifecycleAnswer>> {
      const rows = (await deps.rows(ANALYST_QUERIES.lifecycleFunnel)).map((r) => funnelRow.parse(r));
      return { sql: ANALYST_QUERIES.lifecycleFunnel, snapshots: rows.map(({ as_of, ...stages }) => ({ asOf: utc(as_of), ...stages })) };
    },
  };
}
export type AnalystView = ReturnType<typeof createAnalystView>;
