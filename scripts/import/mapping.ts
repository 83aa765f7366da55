import { parse as parseYaml, YAMLParseError } from 'yaml';
import { MappingError } from './errors.ts';
import { DATE_ORDERS } from './dates.ts';
import { FIELDS, IMPORT_KINDS, type ImportKind } from './kinds.ts';
import { DECIMAL_SEPARATORS } from './values.ts';
import { z } from './zod.ts';

/**
 * The mapping file: for each kind, which header holds which field (`null` turns a default off), extra columns to
 * carry as traits or properties, and how to read ambiguous dates and amounts. Every key is optional; the built-in
 * header names fill in what it leaves out.
 */

const header = z.string().trim().min(1, 'expected a column header').max(500);
/** Trait and property names as Segment specs write them: `lead_source`, `leadSource`. */
const traitName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'expected a trait name such as lead_source (letters, digits, _)');

const columnsFor = <K extends ImportKind>(kind: K) =>
  z
    .strictObject(Object.fromEntries(FIELDS[kind].map((f) => [f, header.nullable().optional()])) as Record<(typeof FIELDS)[K][number], z.ZodOptional<z.ZodNullable<typeof header>>>)
    .optional();

const extra = z.record(header, traitName).optional();

const currencyCode = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'expected an ISO-4217 code such as USD or EUR')
  .transform((c) => c.toUpperCase());

export const mappingSchema = z.strictObject({
  leads: z.strictObject({ columns: columnsFor('leads'), extra }).optional(),
  companies: z.strictObject({ columns: columnsFor('companies'), extra }).optional(),
  orders: z.strictObject({ columns: columnsFor('orders'), extra, currency: currencyCode.optional() }).optional(),
  /** How to read a date such as 03/04/2025: year first, month first (US) or day first. */
  dateOrder: z.enum(DATE_ORDERS).default('ymd'),
  /** `","` for exports that write 1.234,50. */
  decimalSeparator: z.enum(DECIMAL_SEPARATORS).default('.'),
});

export type Mapping = z.output<typeof mappingSchema>;
export type KindMapping<K extends ImportKind> = NonNullable<Mapping[K]>;

/** No file: the built-in header names only. */
export const DEFAULT_MAPPING: Mapping = mappingSchema.parse({});

function keyPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

/** Parses a mapping file's text; `file` names it in errors. */
export function parseMapping(text: string, file: string): Mapping {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0]?.line;
      throw new MappingError(file, [{ key: line !== undefined ? `line ${line}` : '(yaml)', message: err.message.split('\n')[0] ?? err.message }]);
    }
    throw err;
  }
  // An empty file is the defaults.
  const parsed = mappingSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(issue.path);
      return issue.keys.map((k) => ({ key: keyPath([...issue.path, k]), message: `unknown key${allowed ? `; expected one of ${allowed.join(', ')}` : ''}` }));
    }
    return [{ key: keyPath(issue.path), message: issue.message }];
  });
  throw new MappingError(file, problems);
}

/** The keys an object in the mapping file may have, for "unknown key" messages. */
function allowedKeys(path: readonly PropertyKey[]): readonly string[] | undefined {
  if (path.length === 0) return Object.keys(mappingSchema.shape);
  const kind = path[0];
  if (typeof kind !== 'string' || !(IMPORT_KINDS as readonly string[]).includes(kind)) return undefined;
  if (path.length === 1) return Object.keys(mappingSchema.shape[kind as ImportKind].unwrap().shape);
  if (path.length === 2 && path[1] === 'columns') return FIELDS[kind as ImportKind];
  return undefined;
}
