import { createHash } from 'node:crypto';
import type { ImportKind } from './kinds.ts';

/**
 * What identifies a row across runs: the kind, which key column it was found by, and that column's normalized
 * value (`email` + `ann@acme.com`). Nothing else of the row goes in, so re-importing the same file — or a later
 * export with the same records — yields the same messageIds, and downstream dedup counts each record once.
 */
export interface RowKey {
  readonly by: string;
  readonly value: string;
}

export function messageIdFor(kind: ImportKind, key: RowKey): string {
  const digest = createHash('sha256').update(kind).update('\0').update(key.by).update('\0').update(key.value).digest('hex');
  return `import-${kind}-${digest.slice(0, 32)}`;
}

/** The key as a person would recognise it, for "repeats line 3" messages. */
export function describeKey(key: RowKey): string {
  return `${key.by} ${JSON.stringify(key.value)}`;
}
