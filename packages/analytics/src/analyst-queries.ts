/**
 * Queries the dashboard's analyst page runs and shows, word for word as docs/analysts.md gives them (a test holds
 * them to it): tables named without a database, as an analyst connected with `--database` types them.
 */
export const ANALYST_QUERIES = {
  /** The RFM grid: buyers and revenue by recency and frequency score, from the latest snapshot (lead_rfm). */
  rfmGrid: `SELECT r_score, f_score, count() AS buyers, round(sum(monetary), 2) AS revenue
FROM lead_rfm
WHERE r_score IS NOT NULL
GROUP BY r_score, f_score
ORDER BY r_score DESC, f_score DESC`,
  /** The lifecycle funnel over time, one row per snapshot. */
  lifecycleFunnel: `SELECT as_of,
  countIf(lifecycle_stage = 'prospect') AS prospect,
  countIf(lifecycle_stage = 'new') AS new,
  countIf(lifecycle_stage = 'active') AS active,
  countIf(lifecycle_stage = 'dormant') AS dormant,
  countIf(lifecycle_stage = 'churned') AS churned
FROM rollup_leads
GROUP BY as_of
ORDER BY as_of`,
} as const;
