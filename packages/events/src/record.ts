import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import { toFieldIssues, type FieldIssue } from './issues.ts';
import { findUnstorable, mayBeUnstorable } from './storable-json.ts';
import { OUT_OF_RANGE } from './storable-time.ts';
import { errorMessages } from './zod-errors.ts';
import { identityKey, SCHEMA_VERSION, storedEventSchema, trackedEventSchema, type TrackedEvent } from './tracked-event.ts';

/**
 * The events topic's record format.
 *   key      the identity (userId, else anonymousId): one person's events stay in one partition, in order
 *   value    the TrackedEvent as UTF-8 JSON
 *   headers  schema-version, source, type, message-id, content-type
 */
export interface EventRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

export const HEADERS = {
  schemaVersion: 'schema-version',
  source: 'source',
  type: 'type',
  messageId: 'message-id',
  contentType: 'content-type',
} as const;

export function encodeEvent(event: TrackedEvent): EventRecord {
  return {
    key: identityKey(event),
    value: Buffer.from(JSON.stringify(event)),
    headers: {
      [HEADERS.schemaVersion]: String(SCHEMA_VERSION),
      [HEADERS.source]: event.source.id,
      [HEADERS.type]: event.type,
      [HEADERS.messageId]: event.messageId,
      [HEADERS.contentType]: 'application/json',
    },
  };
}

export type DecodeResult =
  | { readonly ok: true; readonly event: TrackedEvent }
  | {
      readonly ok: false;
      readonly reason: 'invalid_json' | 'invalid_unicode' | 'invalid_event' | 'timestamp_out_of_range' | 'unknown_schema_version';
      readonly message: string;
      readonly issues: readonly FieldIssue[];
    };

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

function headerString(value: HeaderValue): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined ? undefined : String(v);
}

const outOfRange = (issue: z.core.$ZodIssue) => issue.code === 'custom' && issue.params?.reason === OUT_OF_RANGE.reason;

/**
 * Reads a record of the events topic back; anything it cannot trust is a reason for the dead-letter topic. Whatever
 * the bytes, it answers and never throws: records may be produced by anyone with access to the topic.
 */
export function decodeEvent(value: Buffer | null, headers: Record<string, HeaderValue> = {}): DecodeResult {
  const version = headerString(headers[HEADERS.schemaVersion]);
  if (version !== undefined && version !== String(SCHEMA_VERSION)) {
    return { ok: false, reason: 'unknown_schema_version', message: `schema-version ${version} is not ${SCHEMA_VERSION}, the version this reader knows`, issues: [] };
  }
  if (value === null) return { ok: false, reason: 'invalid_json', message: 'record has no value', issues: [] };
  // Decoding would replace bad bytes with U+FFFD and store text nobody sent.
  if (!isUtf8(value)) return { ok: false, reason: 'invalid_unicode', message: 'value is not valid UTF-8', issues: [] };
  const text = value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'invalid_json', message: `value is not JSON: ${(err as Error).message}`, issues: [] };
  }
  // Only the rare record whose text could hold one is walked (see mayBeUnstorable).
  const found = mayBeUnstorable(text) ? findUnstorable(json) : undefined;
  if (found) {
    return { ok: false, reason: found.kind === 'unicode' ? 'invalid_unicode' : 'invalid_event', message: `value cannot be stored: ${found.path}: ${found.message}`, issues: [{ path: found.path, message: found.message }] };
  }
  return validateEvent(json);
}

/**
 * An event already parsed (a record's JSON, or one rebuilt from its stored row by a replay) checked against the
 * events' schema, as decodeEvent checks a record's: the one rule of what an event is, whoever read it.
 */
export function validateEvent(json: unknown): DecodeResult {
  // Records the collector wrote pass the stored schema; anything else gets the wire's leniency (nulls, numeric ids)
  // and its error messages, so this reader accepts what it always did.
  const fast = storedEventSchema.safeParse(json);
  if (fast.success) return { ok: true, event: fast.data };
  const parsed = trackedEventSchema.safeParse(json, { error: errorMessages });
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error);
    const reason = parsed.error.issues.every(outOfRange) ? 'timestamp_out_of_range' : 'invalid_event';
    return { ok: false, reason, message: `value is not a valid event: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues };
  }
  return { ok: true, event: parsed.data };
}
