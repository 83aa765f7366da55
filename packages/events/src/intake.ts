import { createHash, randomUUID } from 'node:crypto';
import { errorMessages } from './zod-errors.ts';
import { toFieldIssues, type FieldIssue } from './issues.ts';
import { MESSAGE_TYPES, messageSchemas, type MessageType, type SegmentMessage } from './message.ts';
import { isProductEvent, productEvents } from './product-events.ts';
import type { EventFlag, Source, TrackedEvent } from './tracked-event.ts';

/** Segment's limits. */
export const LIMITS = {
  messageBytes: 32 * 1024,
  batchBytes: 500 * 1024,
  batchMessages: 2500,
} as const;

export type RejectReason = 'invalid_message' | 'too_large' | 'timestamp_out_of_range';

export interface Rejection {
  readonly reason: RejectReason;
  readonly issues: readonly FieldIssue[];
}

export type IntakeResult = { readonly ok: true; readonly event: TrackedEvent } | ({ readonly ok: false } & Rejection);

export interface IntakeOptions {
  readonly receivedAt: Date;
  readonly source: Source;
  /** How far after receipt a (corrected) timestamp may lie. */
  readonly maxFutureMs: number;
  /** How long before receipt it may lie; null takes any age (imports and backfills). */
  readonly maxPastMs: number | null;
  /** The type a single-message route implies (`/v1/track` → track); batch messages carry their own. */
  readonly impliedType?: MessageType;
  /** A batch's top-level context and integrations, merged under each message's own. */
  readonly batchContext?: Record<string, unknown>;
  readonly batchIntegrations?: Record<string, unknown>;
  /** Prefix of field paths in issues, e.g. `batch[3]`. */
  readonly path?: string;
  readonly flags?: readonly EventFlag[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const at = (prefix: string | undefined, field: string) => (prefix ? `${prefix}.${field}` : field);

/**
 * A messageId for a message that came without one. With a client timestamp, it is derived from the message's bytes,
 * so a client that retries the same request gets the same id (the dedup key downstream); without one, two identical
 * calls are two events, so it is random.
 */
export function assignMessageId(raw: Record<string, unknown>, source: Source): string {
  if (typeof raw.timestamp === 'string') {
    return `auto-${createHash('sha256').update(source.id).update('\0').update(JSON.stringify(raw)).digest('hex').slice(0, 40)}`;
  }
  return `auto-${randomUUID()}`;
}

/**
 * Checks one message and stamps it: type, messageId, receivedAt, corrected timestamp, source. Pure but for the
 * random id of a message that has neither messageId nor timestamp.
 */
export function intakeMessage(raw: unknown, options: IntakeOptions): IntakeResult {
  const prefix = options.path;
  if (!isRecord(raw)) return { ok: false, reason: 'invalid_message', issues: [{ path: prefix ?? '(root)', message: 'expected a JSON object' }] };

  const size = Buffer.byteLength(JSON.stringify(raw));
  if (size > LIMITS.messageBytes) {
    return { ok: false, reason: 'too_large', issues: [{ path: prefix ?? '(root)', message: `message is ${size} bytes; the limit is ${LIMITS.messageBytes}` }] };
  }

  const type = options.impliedType ?? raw.type;
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    return { ok: false, reason: 'invalid_message', issues: [{ path: at(prefix, 'type'), message: `expected one of ${MESSAGE_TYPES.join(', ')}` }] };
  }

  const merged: Record<string, unknown> = { ...raw, type };
  if (options.batchContext || raw.context !== undefined) {
    merged.context = isRecord(raw.context) || raw.context === undefined ? { ...options.batchContext, ...(raw.context as object | undefined) } : raw.context;
  }
  if (options.batchIntegrations || raw.integrations !== undefined) {
    merged.integrations = isRecord(raw.integrations) || raw.integrations === undefined ? { ...options.batchIntegrations, ...(raw.integrations as object | undefined) } : raw.integrations;
  }

  const parsed = messageSchemas[type as MessageType].safeParse(merged, { error: errorMessages });
  const issues: FieldIssue[] = parsed.success ? [] : toFieldIssues(parsed.error, prefix);
  if (parsed.success && parsed.data.type === 'track' && isProductEvent(parsed.data.event)) {
    const props = productEvents[parsed.data.event].safeParse(parsed.data.properties ?? {}, { error: errorMessages });
    if (!props.success) issues.push(...toFieldIssues(props.error, at(prefix, 'properties')));
    else parsed.data.properties = props.data;
  }
  if (!parsed.success || issues.length > 0) return { ok: false, reason: 'invalid_message', issues };
  const message: SegmentMessage = parsed.data;

  const receivedMs = options.receivedAt.getTime();
  // RudderStack's SDKs send the event time as originalTimestamp when the caller gave no timestamp.
  const clientTime = message.timestamp ?? message.originalTimestamp;
  let eventMs = receivedMs;
  if (clientTime !== undefined) {
    eventMs = Date.parse(clientTime);
    // The client's clock may be off; sentAt tells by how much, as Segment corrects it.
    if (message.sentAt !== undefined) eventMs += receivedMs - Date.parse(message.sentAt);
  }
  if (eventMs - receivedMs > options.maxFutureMs) {
    return { ok: false, reason: 'timestamp_out_of_range', issues: [{ path: at(prefix, 'timestamp'), message: `lies ${Math.round((eventMs - receivedMs) / 1000)} s in the future after clock correction; at most ${Math.round(options.maxFutureMs / 1000)} s allowed` }] };
  }
  if (options.maxPastMs !== null && receivedMs - eventMs > options.maxPastMs) {
    return { ok: false, reason: 'timestamp_out_of_range', issues: [{ path: at(prefix, 'timestamp'), message: `is more than ${Math.round(options.maxPastMs / 86_400_000)} days old; send historical events to /v1/import` }] };
  }

  const event = {
    ...message,
    messageId: message.messageId ?? assignMessageId(raw, options.source),
    timestamp: new Date(eventMs).toISOString(),
    ...(clientTime !== undefined ? { originalTimestamp: clientTime } : {}),
    receivedAt: options.receivedAt.toISOString(),
    source: options.source,
    flags: [...(options.flags ?? [])],
  } as TrackedEvent;
  return { ok: true, event };
}

export interface BatchIntake {
  readonly accepted: TrackedEvent[];
  readonly rejected: { readonly index: number; readonly messageId?: string; readonly raw: unknown; readonly reason: RejectReason; readonly issues: readonly FieldIssue[] }[];
}

/**
 * A Segment batch body (`{ batch: [...], context?, integrations?, sentAt? }`): every message is judged on its own,
 * so one bad message does not cost the good ones. A body that is not a batch at all is a single rejection at `batch`.
 */
export function intakeBatch(body: unknown, options: Omit<IntakeOptions, 'impliedType' | 'path' | 'batchContext' | 'batchIntegrations'>): BatchIntake | { readonly invalid: FieldIssue } {
  if (!isRecord(body) || !Array.isArray(body.batch)) return { invalid: { path: 'batch', message: 'expected an array of messages' } };
  const batchContext = isRecord(body.context) ? body.context : undefined;
  const batchIntegrations = isRecord(body.integrations) ? body.integrations : undefined;
  // Some SDKs put sentAt on the batch only; it corrects every message's clock.
  const batchSentAt = typeof body.sentAt === 'string' ? body.sentAt : undefined;
  const accepted: TrackedEvent[] = [];
  const rejected: BatchIntake['rejected'][number][] = [];
  body.batch.forEach((raw: unknown, index) => {
    const message = batchSentAt && isRecord(raw) && raw.sentAt === undefined ? { ...raw, sentAt: batchSentAt } : raw;
    const result = intakeMessage(message, { ...options, path: `batch[${index}]`, ...(batchContext ? { batchContext } : {}), ...(batchIntegrations ? { batchIntegrations } : {}) });
    if (result.ok) accepted.push(result.event);
    else {
      const messageId = isRecord(raw) && typeof raw.messageId === 'string' ? raw.messageId : undefined;
      rejected.push({ index, ...(messageId ? { messageId } : {}), raw, reason: result.reason, issues: result.issues });
    }
  });
  return { accepted, rejected };
}
