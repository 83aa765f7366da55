/** Embedded current ClickHouse for tests: the one executor the project has for it. */
export { chdbExecutor } from '@leadscore/clickhouse/chdb';
