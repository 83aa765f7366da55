/**
 * What migrations and analytic queries need from ClickHouse, and nothing more: the project's SQL runs on the
 * server (18.16 here, current releases with Docker) through @clickhouse/client, and on embedded current ClickHouse
 * (chdb) in tests, through the same interface.
 */
export interface SqlExecutor {
  /** A statement without a result (DDL, INSERT … SELECT). A query id lets a watcher follow it in system.processes. */
  command(sql: string, options?: { readonly queryId?: string }): Promise<void>;
  /** A query whose rows come back as objects (JSONEachRow). 64-bit integers arrive as strings. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Which engine answers, for messages: e.g. `clickhouse 18.16.1`. */
  describe(): Promise<string>;
}

/** ClickHouse errors carry `Code: N` in their message on 18.16 (no typed errors); current releases also set `.code`. */
export function clickhouseErrorCode(err: unknown): number | undefined {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') {
      const m = /Code: (\d+)/.exec(message);
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}
