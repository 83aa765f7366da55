import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { SqlExecutor } from './executor.ts';

export interface ClickHouseSettings {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Sent with each request; keep it small on a 2-core machine shared with Kafka and Redis. */
  readonly maxOpenConnections?: number;
  readonly requestTimeoutMs?: number;
  /**
   * A session database, only for readers of analysts' SQL, which names none (docs/analysts.md: the dashboard's
   * analyst page runs those queries as written). Everything else names its database.
   */
  readonly sessionDatabase?: string;
}

/**
 * The ClickHouse client of every service. No default database is set: the project's SQL names its database
 * explicitly, so the same client can create it, and so the same statements run on chdb, which has no session database.
 */
export function createClickHouse(settings: ClickHouseSettings): ClickHouseClient {
  return createClient({
    url: settings.url,
    username: settings.user,
    password: settings.password,
    ...(settings.sessionDatabase ? { database: settings.sessionDatabase } : {}),
    max_open_connections: settings.maxOpenConnections ?? 10,
    request_timeout: settings.requestTimeoutMs ?? 30_000,
    compression: { request: false, response: true },
    // Failures reach the caller as errors, which logs them with its context; the client's own console lines would
    // only repeat them outside the JSON log.
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: {
      // 18.16 refuses ISO-8601 DateTime text in inserts unless told to parse it best-effort.
      date_time_input_format: 'best_effort',
    },
  });
}

/** The server behind the SqlExecutor interface. */
export function serverExecutor(client: ClickHouseClient): SqlExecutor {
  return {
    async command(sql, options) {
      await client.command({ query: sql, ...(options?.queryId ? { query_id: options.queryId } : {}) });
    },
    async rows<T>(sql: string) {
      const result = await client.query({ query: sql, format: 'JSONEachRow' });
      return (await result.json()) as T[];
    },
    async describe() {
      const [row] = await this.rows<{ v: string }>('SELECT version() AS v');
      return `clickhouse ${row?.v ?? 'unknown'}`;
    },
  };
}
