/**
 * `pnpm import:csv --kind leads|companies|orders <file.csv> [--mapping m.yaml] [--dry-run] …`: a CRM or spreadsheet
 * export into the collector's /v1/import as identify, group or "Order Completed" events. See scripts/import/README.md.
 * Exit status: 0 when the run completed (rejected rows included), 1 on a fatal error, 2 on bad arguments.
 * Last line on stdout: rows=… accepted=… rejected=…
 */
import { EXIT, ImportError, UsageError } from './import/errors.ts';
import { HELP, parseOptions, USAGE } from './import/options.ts';
import { runImport } from './import/run.ts';
import { formatSummary } from './import/summary.ts';

async function main(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(argv, process.env);
    if (options === HELP) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const outcome = await runImport(options);
    process.stdout.write(formatSummary(outcome));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ImportError) {
      process.stderr.write(`import-csv: ${err.message}\n`);
      if (err instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
      return err.exitCode;
    }
    process.stderr.write(`import-csv: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.fatal;
  }
}

process.exitCode = await main(process.argv.slice(2));
