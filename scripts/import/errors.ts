/**
 * Errors that end an import. Each says what a person has to change, and carries the exit status the CLI ends with:
 * 2 when what was given is wrong (arguments, mapping file, columns), 1 when the run itself failed.
 */

export const EXIT = { ok: 0, fatal: 1, usage: 2 } as const;

export abstract class ImportError extends Error {
  abstract readonly exitCode: (typeof EXIT)[keyof typeof EXIT];
}

/** A command-line argument or environment variable is missing or malformed. */
export class UsageError extends ImportError {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.usage;
}

/** The mapping file does not parse or does not fit the format; `key` is the path of the bad entry, e.g. `leads.columns.email`. */
export class MappingError extends ImportError {
  override readonly name = 'MappingError';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly file: string,
    readonly problems: readonly { readonly key: string; readonly message: string }[],
  ) {
    super(`mapping file ${file} is invalid:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}`);
  }
}

/** The CSV's header cannot be matched to what the kind needs (a key column, or a column the mapping names). */
export class ColumnsError extends ImportError {
  override readonly name = 'ColumnsError';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly problems: readonly string[],
    readonly headers: readonly string[],
  ) {
    super(`${problems.join('\n')}\n(the file's columns: ${headers.map((h) => JSON.stringify(h)).join(', ')}; name columns with --mapping, see scripts/import/README.md)`);
  }
}

/** The CSV file cannot be read or is not CSV (an unclosed quote, say); nothing was sent. */
export class CsvFileError extends ImportError {
  override readonly name = 'CsvFileError';
  readonly exitCode = EXIT.fatal;
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`);
  }
}

/** The collector refused a request outright, or could not be reached within the retries. */
export class CollectorError extends ImportError {
  override readonly name = 'CollectorError';
  readonly exitCode = EXIT.fatal;
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
