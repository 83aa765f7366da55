/**
 * The pure half of this package: building SQL text (quoting, the project's analytic queries). Pure packages import
 * `@leadscore/clickhouse/sql`, which pulls in no client.
 */
export * from './quote.ts';
export { analyticQueries, eventsWithLead, mergedLeads, profileOfEvent } from './analytic-queries.ts';
export { clickhouseErrorCode, type SqlExecutor } from './executor.ts';
