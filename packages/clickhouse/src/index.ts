export { createClickHouse, serverExecutor, type ClickHouseSettings } from './client.ts';
export { clickhouseErrorCode, type SqlExecutor } from './executor.ts';
export { migrate, readMigrations, renderMigration, MigrationError, MIGRATIONS_DIR, type Migration, type Target, type MigrateResult } from './migrations.ts';
export { sql, literal, quoteString, quoteIdentifier, formatDateTime, unsafeRaw, SqlFragment, SqlQuotingError, type SqlValue } from './quote.ts';
export { analyticQueries, eventsWithLead } from './analytic-queries.ts';
