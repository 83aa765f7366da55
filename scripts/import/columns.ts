import { ColumnsError } from './errors.ts';
import { DEFAULT_HEADERS, FIELDS, headerKey, REQUIRED_FIELDS, type FieldOf, type ImportKind } from './kinds.ts';
import type { KindMapping, Mapping } from './mapping.ts';

/** Which column (by index) holds each field of a kind, and which extra columns ride along under which name. */
export interface ColumnPlan<K extends ImportKind> {
  readonly kind: K;
  readonly fields: Partial<Record<FieldOf<K>, number>>;
  readonly extra: readonly { readonly index: number; readonly name: string }[];
}

/** One row's cells by field: trimmed, and an empty cell is no value. */
export interface RowValues<K extends ImportKind> {
  readonly fields: Partial<Record<FieldOf<K>, string>>;
  readonly extra: Readonly<Record<string, string>>;
}

/**
 * Matches a file's header to a kind's fields: the mapping file's names first, then the built-in names for what it
 * leaves out. Throws a ColumnsError listing every problem (a mapped column that is not there, a key column missing).
 */
export function planColumns<K extends ImportKind>(kind: K, headers: readonly string[], mapping: Mapping): ColumnPlan<K> {
  const kindMapping = mapping[kind] as KindMapping<K> | undefined;
  const mapped = (kindMapping?.columns ?? {}) as Partial<Record<FieldOf<K>, string | null>>;
  const keys = headers.map(headerKey);
  const indexOf = (name: string) => {
    const i = keys.indexOf(headerKey(name));
    return i === -1 ? undefined : i;
  };
  const problems: string[] = [];
  const fields: Partial<Record<FieldOf<K>, number>> = {};
  const claimed = new Set<number>();

  const allFields = FIELDS[kind] as readonly FieldOf<K>[];
  for (const field of allFields) {
    const name = mapped[field];
    if (typeof name !== 'string') continue;
    const index = indexOf(name);
    if (index === undefined) problems.push(`${kind}.columns.${field}: no column ${JSON.stringify(name)} in the file`);
    else {
      fields[field] = index;
      claimed.add(index);
    }
  }
  // Built-in names only for fields the mapping leaves out, and never for a column it gave to another field.
  const defaults = DEFAULT_HEADERS[kind] as Record<FieldOf<K>, readonly string[]>;
  for (const field of allFields) {
    if (field in mapped) continue;
    for (const name of defaults[field]) {
      const index = indexOf(name);
      if (index !== undefined && !claimed.has(index)) {
        fields[field] = index;
        claimed.add(index);
        break;
      }
    }
  }

  const extra: { index: number; name: string }[] = [];
  for (const [name, trait] of Object.entries(kindMapping?.extra ?? {})) {
    const index = indexOf(name);
    if (index === undefined) problems.push(`${kind}.extra.${name}: no column ${JSON.stringify(name)} in the file`);
    else extra.push({ index, name: trait });
  }

  for (const group of REQUIRED_FIELDS[kind] as readonly (readonly FieldOf<K>[])[]) {
    if (group.some((f) => fields[f] !== undefined)) continue;
    const known = group.map((f) => `${f} (${defaults[f].map((h) => JSON.stringify(h)).join(', ')})`);
    problems.push(`${kind} need a column for ${known.join(' or ')}`);
  }
  if (problems.length > 0) throw new ColumnsError(problems, headers);
  return { kind, fields, extra };
}

export function rowValues<K extends ImportKind>(plan: ColumnPlan<K>, cells: readonly string[]): RowValues<K> {
  const cell = (i: number) => {
    const v = cells[i]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const fields: Partial<Record<FieldOf<K>, string>> = {};
  for (const [field, index] of Object.entries(plan.fields) as [FieldOf<K>, number][]) {
    const v = cell(index);
    if (v !== undefined) fields[field] = v;
  }
  const extra: Record<string, string> = {};
  for (const { index, name } of plan.extra) {
    const v = cell(index);
    if (v !== undefined) extra[name] = v;
  }
  return { fields, extra };
}
