import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.ts';
import { packBatches, requestLimits } from './batches.ts';
import { sendImportBatch, type ImportResponse } from './collector-client.ts';
import { CollectorError, UsageError } from './errors.ts';
import { DEFAULT_MAPPING, parseMapping, type Mapping } from './mapping.ts';
import type { ImportOptions } from './options.ts';
import { planRows, type OutgoingRow, type RejectedRow } from './plan.ts';
import { progressBar } from './progress.ts';
import { readCsv } from './read-csv.ts';
import { defaultRejectsPath, rejectsCsv } from './rejects.ts';
import type { ImportOutcome } from './summary.ts';

export interface RunDeps {
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly stderr?: NodeJS.WriteStream;
}

/** Merged under every message's own context by the collector: which tool wrote the event. */
const BATCH_ENVELOPE = { context: { library: { name: 'leadscore-import-csv' } } };

async function loadMapping(file: string | undefined): Promise<Mapping> {
  if (file === undefined) return DEFAULT_MAPPING;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the mapping file ${file}: ${(err as Error).message}`);
  }
  return parseMapping(text, file);
}

/** The collector's refusals, as rows of the rejects file; its field paths lose the `batch[i].` only it knows. */
function collectorRejections(batch: readonly OutgoingRow[], response: ImportResponse): RejectedRow[] {
  return (response.rejected ?? []).flatMap((r) => {
    const row = batch[r.index];
    if (row === undefined) return [];
    const issues = r.issues.map((i) => ({ path: i.path.replace(/^batch\[\d+\]\.?/, '') || '(message)', message: i.message }));
    const message = `refused by the collector: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ') || 'no details given'}`;
    return [{ line: row.line, cells: row.cells, problem: { reason: r.reason, message, issues } }];
  });
}

/**
 * One import: mapping and CSV in, every row either accepted by the collector or in the rejects file. The rejects
 * file is written even when the run fails part-way, so what was refused is never lost with the error.
 */
export async function runImport(options: ImportOptions, deps: RunDeps = {}): Promise<ImportOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  const rejectsFile = options.rejects ?? defaultRejectsPath(options.file);
  if (resolve(rejectsFile) === resolve(options.file)) throw new UsageError(`--rejects ${rejectsFile} is the file being imported; choose another`);

  const mapping = await loadMapping(options.mapping);
  const csv = await readCsv(options.file);
  const plan = planRows(options.kind, csv.header, csv.rows, { mapping, now });
  const rejected: RejectedRow[] = [...plan.rejected];
  const writeRejects = async () => writeFile(rejectsFile, rejectsCsv(csv.header, rejected));
  // Written now as well as at the end, so a path that cannot be written fails before anything is sent.
  await writeRejects().catch((err: Error) => {
    throw new UsageError(`cannot write the rejects file ${rejectsFile}: ${err.message}`);
  });

  const outcome = (accepted: number): ImportOutcome => ({
    kind: options.kind,
    file: options.file,
    rows: csv.rows.length,
    accepted,
    valid: plan.outgoing.length,
    rejected,
    rejectsFile,
    dryRun: options.dryRun,
    collector: options.collector,
  });
  if (options.dryRun || plan.outgoing.length === 0) return outcome(0);

  const batches = packBatches(plan.outgoing, requestLimits(BATCH_ENVELOPE, options.batchSize));
  const progress = progressBar(plan.outgoing.length, deps.stderr);
  let accepted = 0;
  try {
    for (const batch of batches) {
      const response = await sendImportBatch(
        { batch: batch.map((r) => r.message), ...BATCH_ENVELOPE },
        {
          url: options.collector,
          importKey: options.importKey,
          retry: deps.retry ?? DEFAULT_RETRY,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
          onRetry: ({ attempt, delayMs, cause }) => progress.note(`collector: ${cause}; attempt ${attempt + 1} in ${(delayMs / 1000).toFixed(1)} s`),
        },
      );
      accepted += response.accepted;
      rejected.push(...collectorRejections(batch, response));
      progress.advance(batch.length);
    }
  } catch (err) {
    if (err instanceof CollectorError) {
      err.message += `\n${accepted} of ${plan.outgoing.length} valid rows were accepted before this; running the same file again is safe (each row keeps its messageId, and repeats are dropped downstream)`;
    }
    throw err;
  } finally {
    progress.stop();
    await writeRejects();
  }
  return outcome(accepted);
}
