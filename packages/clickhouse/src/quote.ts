/**
 * The one way values enter SQL. ClickHouse 18.16 has no query parameters, so every value the project puts into a
 * statement is rendered here as a literal; its tests round-trip hostile strings through 18.16 and current ClickHouse.
 */

/** A fragment of SQL that is already safe (an identifier rendered by quoteIdentifier, or a trusted keyword). */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type SqlValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | Date
  | SqlFragment
  | readonly SqlValue[];

export class SqlQuotingError extends Error {
  override readonly name = 'SqlQuotingError';
}

const escapes: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * A single-quoted string literal. Backslash and quote are escaped; so are NUL and the control characters, which
 * ClickHouse would take literally but which break logs and terminals. Lone UTF-16 surrogates cannot be encoded
 * as UTF-8, so they are refused rather than silently replaced.
 */
export function quoteString(value: string): string {
  if (!value.isWellFormed()) throw new SqlQuotingError('string contains a lone UTF-16 surrogate and cannot be sent as UTF-8');
  return `'${value.replace(/[\\'\0\b\f\n\r\t]/g, (c) => escapes[c] ?? c)}'`;
}

/** A back-quoted identifier (database, table or column name). */
export function quoteIdentifier(name: string): SqlFragment {
  if (name.length === 0) throw new SqlQuotingError('empty identifier');
  if (!name.isWellFormed() || name.includes('\0')) throw new SqlQuotingError(`identifier ${JSON.stringify(name)} is not valid`);
  return new SqlFragment(`\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, the DateTime text both 18.16 and current releases parse. */
export function formatDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new SqlQuotingError('invalid Date');
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** Renders any supported value as a ClickHouse literal. Dates become `toDateTime('…', 'UTC')`. */
export function literal(value: SqlValue): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof SqlFragment) return value.text;
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SqlQuotingError(`number ${value} has no SQL literal`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) return `toDateTime(${quoteString(formatDateTime(value))}, 'UTC')`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  throw new SqlQuotingError(`unsupported value of type ${typeof value}`);
}

/**
 * Tagged template: every interpolation becomes a literal (or an identifier if it came from quoteIdentifier).
 *   sql`SELECT count() FROM ${quoteIdentifier(db)}.events WHERE lead = ${leadId}`
 */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += literal(values[i] as SqlValue) + (strings[i + 1] ?? '');
  return out;
}

/** Marks trusted SQL text (e.g. a keyword chosen from a fixed list) for interpolation into `sql`. */
export function unsafeRaw(text: string): SqlFragment {
  return new SqlFragment(text);
}
