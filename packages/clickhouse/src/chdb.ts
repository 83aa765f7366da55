import { Session } from 'chdb';
import type { SqlExecutor } from './executor.ts';

/**
 * Current ClickHouse, embedded (chdb), behind the same SqlExecutor as the server: every migration and analytic
 * query of the project runs on it too (tests, `pnpm bench:rollups --engine chdb`), since users with Docker get a
 * current release while this machine has 18.16. Its data lives in a temporary folder, removed by close().
 */
export function chdbExecutor(): SqlExecutor & { close(): void } {
  const session = new Session();
  // Same 64-bit integer encoding as the server's JSON output, where it arrives as strings.
  session.query('SET output_format_json_quote_64bit_integers = 1');
  return {
    async command(sql) {
      session.query(sql, 'TabSeparated');
    },
    async rows<T>(sql: string) {
      return session
        .query(sql, 'JSONEachRow')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as T);
    },
    async describe() {
      return `chdb ${session.query('SELECT version()', 'TabSeparated').trim()}`;
    },
    close() {
      session.cleanup();
    },
  };
}
