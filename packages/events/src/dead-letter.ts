import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isoDateTime } from './message.ts';

/**
 * The one dead-letter envelope, written by every stage that refuses input (the collector's per-message rejections,
 * the ingest workers' undecodable records, imports): the reason, the field paths, the original bytes, and where it
 * came from. `pnpm dlq:replay` feeds `original` back through validation.
 */
export const DEAD_LETTER_VERSION = 1;

export const DEAD_LETTER_REASONS = [
  'invalid_json',
  'invalid_message',
  'invalid_event',
  'too_large',
  'timestamp_out_of_range',
  'unknown_schema_version',
  /** Invalid UTF-8 bytes, or a lone UTF-16 surrogate in a string (which no store downstream can hold). */
  'invalid_unicode',
  /** Nobody to give it to: no user id, visitor id or email (see identityIssue in packages/identity). */
  'no_identity',
  /** Its source may not send it (see source-policy.ts: a browser key recording an order, say). */
  'not_permitted',
  /** A store refused this one event (a Redis script or ClickHouse data error), after bounded tries. */
  'store_rejected',
] as const;

export const deadLetterSchema = z.object({
  version: z.literal(DEAD_LETTER_VERSION),
  reason: z.enum(DEAD_LETTER_REASONS),
  /** For a person: what is wrong, in a sentence. */
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
  /** Which stage refused it, and the configured source it arrived through. */
  stage: z.enum(['collector', 'ingest', 'import', 'replay']),
  sourceId: z.string().optional(),
  /** The bytes as received, base64 (they may not be valid UTF-8); only the first ORIGINAL_CAP bytes of a bigger one. */
  original: z.string(),
  /** Set when `original` holds only the first ORIGINAL_CAP bytes: the size and SHA-256 of the whole, which stays in
   * the topic and offset of `origin` (as long as its retention keeps it). */
  truncated: z.object({ bytes: z.number().int(), sha256: z.string() }).optional(),
  /** Where the original sat in Kafka, when it came from a topic. */
  origin: z
    .object({ topic: z.string(), partition: z.number().int(), offset: z.string(), key: z.string().nullable() })
    .optional(),
  messageId: z.string().optional(),
  at: isoDateTime,
});

export type DeadLetter = z.output<typeof deadLetterSchema>;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface DeadLetterInput {
  readonly reason: DeadLetterReason;
  readonly message: string;
  readonly issues?: readonly { path: string; message: string }[];
  readonly stage: DeadLetter['stage'];
  readonly sourceId?: string;
  readonly original: Buffer | string;
  readonly origin?: DeadLetter['origin'];
  readonly messageId?: string;
  readonly at?: Date;
}

/**
 * A dead letter must fit where the record it stands for did: Kafka's default message limit is 1 MB, and base64 adds a
 * third, so originals are kept up to 512 KB (and messages and issue lists short); a bigger original is cut, with its
 * size and hash. Without the cap, the letter of a 900 KB record would be refused by the broker, and its batch retried
 * without end.
 */
export const ORIGINAL_CAP = 512 * 1024;
const MESSAGE_CAP = 4000;
const ISSUES_CAP = 50;
const clip = (text: string, cap: number) => (text.length > cap ? `${text.slice(0, cap)}… (${text.length - cap} more characters)` : text);

export function deadLetter(input: DeadLetterInput): DeadLetter {
  const original = typeof input.original === 'string' ? Buffer.from(input.original) : input.original;
  const truncated = original.length > ORIGINAL_CAP ? { bytes: original.length, sha256: createHash('sha256').update(original).digest('hex') } : undefined;
  return {
    version: DEAD_LETTER_VERSION,
    reason: input.reason,
    message: clip(input.message, MESSAGE_CAP),
    issues: (input.issues ?? []).slice(0, ISSUES_CAP).map((i) => ({ path: clip(i.path, 500), message: clip(i.message, 1000) })),
    stage: input.stage,
    ...(input.sourceId !== undefined ? { sourceId: input.sourceId } : {}),
    original: (truncated ? original.subarray(0, ORIGINAL_CAP) : original).toString('base64'),
    ...(truncated ? { truncated } : {}),
    ...(input.origin ? { origin: input.origin } : {}),
    ...(input.messageId !== undefined ? { messageId: input.messageId } : {}),
    at: (input.at ?? new Date()).toISOString(),
  };
}

/** The dead-letter topic's record: keyed like the original where there was a key, with the reason in a header. */
export function encodeDeadLetter(letter: DeadLetter): { key: string | null; value: Buffer; headers: Record<string, string> } {
  return {
    key: letter.origin?.key ?? letter.messageId ?? null,
    value: Buffer.from(JSON.stringify(letter)),
    headers: { 'dead-letter-version': String(DEAD_LETTER_VERSION), reason: letter.reason, stage: letter.stage, 'content-type': 'application/json' },
  };
}

export function originalBytes(letter: DeadLetter): Buffer {
  return Buffer.from(letter.original, 'base64');
}
