import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlExecutor } from './executor.ts';
import { quoteIdentifier, sql } from './quote.ts';

/** migrations/NNNN_name.sql beside this package's src. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface Target {
  readonly database: string;
  /** ON CLUSTER target with Replicated engines; undefined for a single server. */
  readonly cluster?: string | undefined;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    message: string,
    readonly migration?: string,
    readonly statement?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  return files.map((file) => {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new MigrationError(`migration file name ${file} must look like 0001_name.sql`);
    const text = readFileSync(`${dir}/${file}`, 'utf8');
    return { version: Number(m[1]), name: m[2] as string, sql: text, checksum: createHash('sha256').update(text).digest('hex').slice(0, 16) };
  });
}

/**
 * Turns a migration's text into statements for a target. Placeholders:
 *   {{db}}                            the quoted database name
 *   {{on_cluster}}                    `ON CLUSTER name` on a cluster, nothing on a single server
 *   {{engine:<table>:<Engine>(args)}} e.g. {{engine:events:ReplacingMergeTree(version)}}: the engine as written on a
 *                                     single server, its Replicated form (ZooKeeper path and replica macros) on a cluster
 * Statements are separated by a `;` at the end of a line; `--` comment lines are dropped.
 */
export function renderMigration(text: string, target: Target): string[] {
  const db = quoteIdentifier(target.database).text;
  const rendered = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .replaceAll('{{db}}', db)
    .replaceAll('{{on_cluster}}', target.cluster ? `ON CLUSTER ${quoteIdentifier(target.cluster).text}` : '')
    .replace(/\{\{engine:([A-Za-z0-9_]+):([A-Za-z]*MergeTree)\((.*?)\)\}\}/g, (_all, table: string, engine: string, args: string) => {
      if (!target.cluster) return `${engine}(${args})`;
      const zkPath = sql`${`/clickhouse/tables/{shard}/${target.database}/${table}`}`;
      return `Replicated${engine}(${[zkPath, sql`${'{replica}'}`, ...(args.trim() ? [args] : [])].join(', ')})`;
    });
  const leftover = /\{\{[^}]*\}\}/.exec(rendered);
  if (leftover) throw new MigrationError(`unknown placeholder ${leftover[0]}`);
  return rendered
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Whether a statement adds a column that is there already: 18.16 has no `ADD COLUMN IF NOT EXISTS`, so a migration
 * that adds columns stays re-runnable (a crash between its statements and its record) by this check.
 */
async function columnExists(exec: SqlExecutor, target: Target, statement: string): Promise<boolean> {
  const m = /^ALTER\s+TABLE\s+`?[^`\s.]+`?\.`?([A-Za-z0-9_]+)`?\s+(?:ON\s+CLUSTER\s+\S+\s+)?ADD\s+COLUMN\s+`?([A-Za-z0-9_]+)`?\s/i.exec(statement);
  if (!m) return false;
  if (/,\s*ADD\s+COLUMN/i.test(statement)) throw new MigrationError('add one column per ALTER TABLE statement, so each can be skipped when it is there');
  const rows = await exec.rows<{ n: number | string }>(sql`SELECT count() AS n FROM system.columns WHERE database = ${target.database} AND table = ${m[1] as string} AND name = ${m[2] as string}`);
  return Number(rows[0]?.n ?? 0) > 0;
}

export interface MigrateResult {
  readonly applied: readonly Migration[];
  readonly alreadyApplied: readonly Migration[];
}

/**
 * Brings a database up to date. Idempotent: statements are written to be re-runnable (IF NOT EXISTS), a migration is
 * recorded after its last statement succeeds, and an applied migration whose file changed since is an error.
 */
export async function migrate(
  exec: SqlExecutor,
  target: Target,
  migrations: readonly Migration[] = readMigrations(),
  onApplied: (m: Migration) => void = () => {},
): Promise<MigrateResult> {
  const db = quoteIdentifier(target.database);
  const bookkeeping = renderMigration(
    `CREATE DATABASE IF NOT EXISTS {{db}} {{on_cluster}};
     CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations {{on_cluster}} (
       version UInt32, name String, checksum String, applied_at DateTime DEFAULT now()
     ) ENGINE = {{engine:schema_migrations:ReplacingMergeTree()}} ORDER BY version`,
    target,
  );
  for (const statement of bookkeeping) await exec.command(statement);

  const done = new Map(
    (await exec.rows<{ version: number; checksum: string }>(
      sql`SELECT version, any(checksum) AS checksum FROM ${db}.schema_migrations GROUP BY version`,
    )).map((r) => [Number(r.version), r.checksum]),
  );
  const applied: Migration[] = [];
  const alreadyApplied: Migration[] = [];
  for (const m of migrations) {
    const label = `${String(m.version).padStart(4, '0')}_${m.name}`;
    const recorded = done.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new MigrationError(`migration ${label} was applied to ${target.database} with checksum ${recorded} but its file now has ${m.checksum}: add a new migration instead of editing an applied one`, label);
      }
      alreadyApplied.push(m);
      continue;
    }
    for (const statement of renderMigration(m.sql, target)) {
      try {
        if (await columnExists(exec, target, statement)) continue;
        try {
          await exec.command(statement);
        } catch (err) {
          // Two services starting at once both found the column missing; the other one added it first.
          if (await columnExists(exec, target, statement)) continue;
          throw err;
        }
      } catch (err) {
        throw new MigrationError(`migration ${label} failed on ${await exec.describe()}: ${(err as Error).message}`, label, statement, { cause: err });
      }
    }
    await exec.command(sql`INSERT INTO ${db}.schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`);
    applied.push(m);
    onApplied(m);
  }
  return { applied, alreadyApplied };
}
