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
  /** The bytes as received, base64 (they may not be valid UTF-8). */
  original: z.string(),
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

export function deadLetter(input: DeadLetterInput): DeadLetter {
  return {
    version: DEAD_LETTER_VERSION,
    reason: input.reason,
    message: input.message,
    issues: [...(input.issues ?? [])],
    stage: input.stage,
    ...(input.sourceId !== undefined ? { sourceId: input.sourceId } : {}),
    original: (typeof input.original === 'string' ? Buffer.from(input.original) : input.original).toString('base64'),
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
