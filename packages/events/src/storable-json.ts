import { formatPath, type FieldIssue } from './issues.ts';

/**
 * What a message's JSON must not hold for every stage after the collector to handle it: the collector refuses it,
 * the ingest workers dead-letter it. JSON itself allows all three:
 *   - a lone UTF-16 surrogate (`"\ud800"`) in a string or key: Redis's cjson and ClickHouse refuse the escape, and
 *     the worker would retry the batch without end;
 *   - a `__proto__` key: JavaScript takes it as the object's prototype rather than data (zod drops it, a plain
 *     assignment re-parents the object), so the event would not say what was sent; `constructor` and the like are
 *     kept as ordinary data;
 *   - nesting deeper than MAX_NESTING: JSON.stringify overflows the stack a few thousand levels down (in the
 *     worker, again a batch retried without end). 100 levels is far below that and far above any real event.
 */
export const MAX_NESTING = 100;

export interface Unstorable extends FieldIssue {
  readonly kind: 'unicode' | 'key' | 'nesting';
}

/**
 * Whether JSON text could hold any of the above; false for nearly every event, which then need not be walked. A lone
 * surrogate or an escaped `__proto__` can only be written with a `\u` escape (valid UTF-8 cannot encode surrogates,
 * and JSON.stringify escapes lone ones), and nesting is never deeper than the number of opening brackets.
 */
export function mayBeUnstorable(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || openingBracketsExceed(text, MAX_NESTING);
}

function openingBracketsExceed(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ['{', '[']) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1)) if (++count > limit) return true;
  }
  return false;
}

const LONE_SURROGATE = /\p{Cs}/u;

/** A key as a path shows it: a lone surrogate escaped, so the path itself is well-formed text. */
const printable = (key: string) => (key.isWellFormed() ? key : JSON.stringify(key).slice(1, -1));

/** The first lone surrogate of a text as an escape, e.g. `\ud800`, and where it is. */
function loneSurrogate(text: string): { unit: string; index: number } {
  const found = LONE_SURROGATE.exec(text);
  return { unit: `\\u${(found?.[0].charCodeAt(0) ?? 0xfffd).toString(16)}`, index: found?.index ?? 0 };
}

/**
 * The first thing in a parsed JSON value (depth first, in document order) that no store could hold, with its path
 * under `prefix`; undefined when there is none. Walks at most MAX_NESTING levels, so any depth is safe to pass.
 */
export function findUnstorable(value: unknown, prefix = ''): Unstorable | undefined {
  const path: PropertyKey[] = [];
  const issue = (kind: Unstorable['kind'], message: string): Unstorable => ({ kind, path: formatPath(path.map((p) => (typeof p === 'string' ? printable(p) : p)), prefix), message });

  function walk(node: unknown, level: number): Unstorable | undefined {
    if (typeof node === 'string') {
      if (node.isWellFormed()) return undefined;
      const { unit, index } = loneSurrogate(node);
      return issue('unicode', `contains a lone UTF-16 surrogate (${unit} at character ${index}), which is not text any store can hold; send well-formed Unicode`);
    }
    if (typeof node !== 'object' || node === null) return undefined;
    if (level > MAX_NESTING) return issue('nesting', `is nested more than ${MAX_NESTING} levels deep; flatten the data`);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        const found = walk(node[i], level + 1);
        path.pop();
        if (found) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(node)) {
      path.push(key);
      const found = !key.isWellFormed()
        ? issue('unicode', `this key contains a lone UTF-16 surrogate (${loneSurrogate(key).unit}), which is not text any store can hold; send well-formed Unicode`)
        : key === '__proto__'
          ? issue('key', '"__proto__" cannot be a key: JavaScript takes it as the object\'s prototype, not as data; rename it')
          : walk((node as Record<string, unknown>)[key], level + 1);
      path.pop();
      if (found) return found;
    }
    return undefined;
  }

  return walk(value, 1);
}
