import { randomBytes } from 'node:crypto';
import { formatDateTime, literal, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import {
  buyersStage,
  companiesStage,
  COMPANIES,
  clearStaging,
  leadsStage,
  linksStage,
  ordersStage,
  partitionId,
  publishSnapshot,
  snapshotTime,
  summaryQueries,
  type SnapshotTable,
  type SnapshotTarget,
} from './rollup-sql.ts';

/**
 * One step of a rollup: statements run in order (decided from what the earlier steps produced, for the publishing
 * step), and what to count afterwards, for progress and for what to publish.
 */
export interface RollupStep {
  readonly name: 'clear' | 'links' | 'orders' | 'buyers' | 'leads' | 'company_buyers' | 'companies' | 'publish' | 'tidy';
  readonly label: string;
  readonly statements: readonly string[] | ((staged: Readonly<Record<SnapshotTable, number>>) => readonly string[]);
  /** A query of one row `{ rows }`: what the step produced, and the snapshot table it feeds. */
  readonly produced?: string;
  readonly feeds?: SnapshotTable;
}

/** Decide: the steps that compute and publish a snapshot. Pure. */
export function planRollup(t: SnapshotTarget): RollupStep[] {
  const db = quoteIdentifier(t.database);
  const at = literal(snapshotTime(t.asOf));
  const count = (table: string) => `SELECT toUInt64(count()) AS rows FROM ${db}.${table} WHERE as_of = ${at}`;
  return [
    { name: 'clear', label: 'clear what a stopped run left', statements: clearStaging(t) },
    { name: 'links', label: 'identity links as of the reference time', statements: [linksStage(t)], produced: count('rollup_links_staging') },
    { name: 'orders', label: 'orders once by order id, net of refunds, in the reporting currency', statements: [ordersStage(t)], produced: count('rollup_orders_staging'), feeds: 'rollup_orders' },
    { name: 'buyers', label: 'buyers: recency, frequency, monetary, lifetime-value inputs', statements: [buyersStage(t)], produced: count('rollup_buyers_staging') },
    { name: 'leads', label: 'leads: scores, segment, lifecycle stage, ABC class, since the previous snapshot', statements: [leadsStage(t)], produced: count('rollup_leads_staging'), feeds: 'rollup_leads' },
    { name: 'company_buyers', label: 'companies that bought, from their members\' orders', statements: [buyersStage(t, COMPANIES)], produced: count('rollup_company_buyers_staging') },
    { name: 'companies', label: 'companies: scores, segment, lifecycle stage, ABC class, since the previous snapshot', statements: [companiesStage(t)], produced: count('rollup_companies_staging'), feeds: 'rollup_companies' },
    { name: 'publish', label: 'publish the snapshot', statements: (staged) => publishSnapshot(t, staged) },
    { name: 'tidy', label: 'empty the staging partitions', statements: clearStaging(t) },
  ];
}

export interface NamedCount {
  readonly name: string;
  readonly leads: number;
}

/** What a snapshot counted and left out. */
export interface RollupSummary {
  readonly asOf: Date;
  readonly leads: number;
  readonly buyers: number;
  readonly companies: number;
  readonly buyingCompanies: number;
  /** Net revenue of the window over all buyers, in the reporting currency. */
  readonly revenue: number;
  readonly reportingCurrency: string;
  readonly orders: number;
  /** Orders left out for want of a rate, per currency, with their amount in that currency. */
  readonly unrated: readonly { readonly currency: string; readonly orders: number; readonly amount: number }[];
  readonly anonymousOrders: number;
  readonly refundedOrders: number;
  readonly unratedRefunds: number;
  readonly unmatchedRefunds: number;
  readonly stages: readonly NamedCount[];
  readonly classes: readonly NamedCount[];
  readonly segments: readonly NamedCount[];
}

type SummaryRows = { readonly [K in keyof ReturnType<typeof summaryQueries>]: readonly Record<string, unknown>[] };

const num = (v: unknown) => Number(v ?? 0);
const named = (rows: readonly Record<string, unknown>[]) => rows.map((r) => ({ name: String(r.name), leads: num(r.leads) }));

/** Read: the summary from the rows of each named query. Pure. */
export function readSummary(t: SnapshotTarget, rows: SummaryRows): RollupSummary {
  const leads = rows.leads[0] ?? {};
  const orders = rows.orders[0] ?? {};
  return {
    asOf: snapshotTime(t.asOf),
    leads: num(leads.leads),
    buyers: num(leads.buyers),
    companies: num(rows.companies[0]?.companies),
    buyingCompanies: num(rows.companies[0]?.buyers),
    revenue: num(leads.revenue),
    reportingCurrency: t.settings.reportingCurrency,
    orders: num(orders.counted),
    unrated: rows.unrated.map((r) => ({ currency: String(r.currency), orders: num(r.orders), amount: num(r.amount) })),
    anonymousOrders: num(orders.anonymous),
    refundedOrders: num(orders.refunded),
    unratedRefunds: num(orders.unrated_refunds),
    unmatchedRefunds: num(rows.unmatchedRefunds[0]?.unmatched),
    stages: named(rows.stages),
    classes: named(rows.classes),
    segments: named(rows.segments),
  };
}

/** The snapshot's row in rollup_runs. */
export function runRecord(t: SnapshotTarget, s: RollupSummary, timing: { readonly startedAt: Date; readonly finishedAt: Date }): string {
  const db = quoteIdentifier(t.database);
  const values = [
    snapshotTime(t.asOf),
    timing.startedAt,
    timing.finishedAt,
    Math.max(0, timing.finishedAt.getTime() - timing.startedAt.getTime()),
    s.leads,
    s.buyers,
    s.companies,
    s.orders,
    s.revenue,
    s.reportingCurrency,
    s.unrated.map((u) => u.currency),
    s.unrated.map((u) => u.orders),
    s.unrated.map((u) => u.amount),
    s.anonymousOrders,
    s.refundedOrders,
    s.unratedRefunds,
    s.unmatchedRefunds,
    JSON.stringify(t.settings),
  ].map(literal);
  return `INSERT INTO ${db}.rollup_runs (as_of, started_at, finished_at, duration_ms, leads, buyers, companies, orders, revenue, reporting_currency, unrated_currencies, unrated_orders, unrated_amounts, anonymous_orders, refunded_orders, unrated_refunds, unmatched_refunds, settings) VALUES (${values.join(', ')})`;
}

export interface StepProgress {
  readonly step: RollupStep;
  readonly index: number;
  readonly of: number;
  /** Set once the step is done. */
  readonly ms?: number;
  readonly rows?: number;
  /** The statement running now, for a watcher of system.processes. */
  readonly queryId?: string;
}

export interface RollupResult {
  readonly summary: RollupSummary;
  readonly ms: number;
  readonly steps: readonly { readonly name: RollupStep['name'] | 'summary'; readonly ms: number; readonly rows?: number }[];
}

/** Do: runs the plan on an executor, step by step, then records the snapshot's summary. */
export async function runRollup(
  exec: SqlExecutor,
  t: SnapshotTarget,
  hooks: { readonly onStep?: (p: StepProgress) => void; readonly now?: () => Date } = {},
): Promise<RollupResult> {
  const now = hooks.now ?? (() => new Date());
  const target = { ...t, asOf: snapshotTime(t.asOf) };
  const startedAt = now();
  const plan = planRollup(target);
  const run = randomBytes(4).toString('hex');
  const steps: { name: RollupStep['name'] | 'summary'; ms: number; rows?: number }[] = [];
  const staged: Record<SnapshotTable, number> = { rollup_orders: 0, rollup_leads: 0, rollup_companies: 0 };
  for (const [index, step] of plan.entries()) {
    const began = performance.now();
    const statements = typeof step.statements === 'function' ? step.statements(staged) : step.statements;
    for (const [i, statement] of statements.entries()) {
      const queryId = `rollup-${partitionId(target.asOf)}-${run}-${step.name}-${i}`;
      hooks.onStep?.({ step, index, of: plan.length, queryId });
      await exec.command(statement, { queryId });
    }
    const rows = step.produced ? num((await exec.rows<{ rows: string }>(step.produced))[0]?.rows) : undefined;
    if (step.feeds && rows !== undefined) staged[step.feeds] = rows;
    const ms = performance.now() - began;
    steps.push({ name: step.name, ms, ...(rows === undefined ? {} : { rows }) });
    hooks.onStep?.({ step, index, of: plan.length, ms, ...(rows === undefined ? {} : { rows }) });
  }
  const summaryBegan = performance.now();
  const queries = summaryQueries(target);
  const rows = Object.fromEntries(
    await Promise.all(Object.entries(queries).map(async ([name, query]) => [name, await exec.rows<Record<string, unknown>>(query)] as const)),
  ) as unknown as SummaryRows;
  const summary = readSummary(target, rows);
  steps.push({ name: 'summary', ms: performance.now() - summaryBegan });
  const finishedAt = now();
  await exec.command(runRecord(target, summary, { startedAt, finishedAt }));
  return { summary, ms: finishedAt.getTime() - startedAt.getTime(), steps };
}

/** `YYYY-MM-DD hh:mm:ss` UTC, as snapshots are named in SQL. */
export const snapshotName = (asOf: Date) => formatDateTime(snapshotTime(asOf));
