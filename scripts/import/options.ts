import { parseArgs } from 'node:util';
import { variables } from '@leadscore/config';
import { UsageError } from './errors.ts';
import { IMPORT_KINDS } from './kinds.ts';
import { z } from './zod.ts';

export const USAGE = `usage: pnpm import:csv --kind leads|companies|orders <file.csv> [options]

  --kind KIND          what the file holds: leads (→ identify), companies (→ group), orders (→ Order Completed)
  --mapping FILE       YAML file naming the file's columns (see scripts/import/README.md)
  --rejects FILE       where refused rows go (default: <file.csv>.rejects.csv)
  --collector URL      collector base URL (default: COLLECTOR_PUBLIC_URL, else http://127.0.0.1:$COLLECTOR_PORT)
  --import-key KEY     import key (default: IMPORT_KEY, else the first key of COLLECTOR_IMPORT_KEYS, else dev_import_key)
  --batch-size N       messages per request, 1–2500 (default 500)
  --dry-run            check every row and write the rejects file, send nothing
  --help               this text`;

export const optionsSchema = z.object({
  kind: z.enum(IMPORT_KINDS, { error: `--kind must be one of ${IMPORT_KINDS.join(', ')}` }),
  file: z.string().min(1),
  mapping: z.string().min(1).optional(),
  rejects: z.string().min(1).optional(),
  collector: z.string().refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'expected an http(s) URL such as http://127.0.0.1:8088'),
  importKey: z.string().min(1, 'must not be empty'),
  batchSize: z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').min(1).max(2500),
  dryRun: z.boolean(),
});

export type ImportOptions = z.output<typeof optionsSchema>;

/** Which option or variable each field came from, for messages. */
const SOURCE_OF: Record<keyof ImportOptions, string> = {
  kind: '--kind',
  file: 'the file argument',
  mapping: '--mapping',
  rejects: '--rejects',
  collector: '--collector',
  importKey: '--import-key',
  batchSize: '--batch-size',
  dryRun: '--dry-run',
};

type Env = Readonly<Record<string, string | undefined>>;
const given = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** The collector's own variables, read with the collector's own rules, so the two cannot disagree on a value. */
function fromVariable<N extends 'COLLECTOR_PORT' | 'COLLECTOR_IMPORT_KEYS'>(name: N, value: string): z.output<(typeof variables)[N]['schema']> {
  const parsed = variables[name].schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${name} is invalid: ${parsed.error.issues[0]?.message ?? 'bad value'}`);
  return parsed.data as z.output<(typeof variables)[N]['schema']>;
}

export function defaultCollectorUrl(env: Env): string {
  const publicUrl = given(env.COLLECTOR_PUBLIC_URL);
  if (publicUrl !== undefined) return publicUrl;
  const port = given(env.COLLECTOR_PORT);
  return `http://127.0.0.1:${port === undefined ? variables.COLLECTOR_PORT.default : fromVariable('COLLECTOR_PORT', port)}`;
}

export function defaultImportKey(env: Env): string {
  const key = given(env.IMPORT_KEY);
  if (key !== undefined) return key;
  const keys = given(env.COLLECTOR_IMPORT_KEYS) ?? variables.COLLECTOR_IMPORT_KEYS.default;
  const first = fromVariable('COLLECTOR_IMPORT_KEYS', keys)[0];
  if (first === undefined) throw new UsageError('COLLECTOR_IMPORT_KEYS lists no key; give one with --import-key');
  return first.key;
}

/** `--help` asked for: the caller prints USAGE and ends well. */
export const HELP = Symbol('help');

/** Arguments and environment → options; anything wrong is a UsageError naming the option or variable. */
export function parseOptions(argv: readonly string[], env: Env): ImportOptions | typeof HELP {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return HELP;
  if (values.kind === undefined) throw new UsageError('--kind is required');
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the CSV file to import' : `one CSV file at a time; got ${positionals.length}: ${positionals.join(' ')}`);
  const result = optionsSchema.safeParse({
    kind: values.kind,
    file: positionals[0],
    mapping: values.mapping,
    rejects: values.rejects,
    collector: values.collector ?? defaultCollectorUrl(env),
    importKey: values['import-key'] ?? defaultImportKey(env),
    batchSize: values['batch-size'] ?? '500',
    dryRun: values['dry-run'] ?? false,
  });
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path[0] as keyof ImportOptions | undefined;
    const message = issue?.message ?? 'invalid arguments';
    throw new UsageError(field === 'kind' ? message : `${field ? SOURCE_OF[field] : 'arguments'}: ${message}`);
  }
  return result.data;
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      kind: { type: 'string' },
      mapping: { type: 'string' },
      rejects: { type: 'string' },
      collector: { type: 'string' },
      'import-key': { type: 'string' },
      'batch-size': { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
