import { createHash, randomUUID } from 'node:crypto';
import { errorMessages } from './zod-errors.ts';
import { toFieldIssues, type FieldIssue } from './issues.ts';
import { MESSAGE_TYPES, messageSchemas, type MessageType, type SegmentMessage } from './message.ts';
import { isProductEvent, productEvents } from './product-events.ts';
import { findUnstorable, mayBeUnstorable, type Unstorable } from './storable-json.ts';
import { isStorableTime, storableRangeText } from './storable-time.ts';
import type { EventFlag, Source, TrackedEvent } from './tracked-event.ts';

/** Segment's limits. */
export const LIMITS = {
  messageBytes: 32 * 1024,
  batchBytes: 500 * 1024,
  batchMessages: 2500,
} as const;

/** Every one is also a dead-letter reason (DEAD_LETTER_REASONS). */
export type RejectReason = 'invalid_message' | 'too_large' | 'timestamp_out_of_range' | 'invalid_unicode' | 'no_identity' | 'not_permitted';

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
  /**
   * A further rule of the caller's, judged on the stamped event, with paths relative to the message. The collector
   * passes identityIssue from packages/identity here (which depends on this package, so cannot be called from it).
   */
  readonly check?: (event: TrackedEvent) => Rejection | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const at = (prefix: string | undefined, field: string) => (prefix ? `${prefix}.${field}` : field);

const unstorable = (found: Unstorable): Rejection => ({
  reason: found.kind === 'unicode' ? 'invalid_unicode' : 'invalid_message',
  issues: [{ path: found.path, message: found.message }],
});

/** JSON text of a message, or undefined when JSON.stringify cannot make it (nested thousands of levels deep). */
function jsonText(raw: unknown): string | undefined {
  try {
    return JSON.stringify(raw);
  } catch {
    return undefined;
  }
}

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

  const text = jsonText(raw);
  const size = text === undefined ? 0 : Buffer.byteLength(text);
  if (size > LIMITS.messageBytes) {
    return { ok: false, reason: 'too_large', issues: [{ path: prefix ?? '(root)', message: `message is ${size} bytes; the limit is ${LIMITS.messageBytes}` }] };
  }
  // Before the schema: zod would silently drop a __proto__ key, and the walk is bounded where JSON.stringify is not.
  if (text === undefined || mayBeUnstorable(text)) {
    const found = findUnstorable(raw, prefix);
    if (found) return { ok: false, ...unstorable(found) };
    if (text === undefined) return { ok: false, reason: 'invalid_message', issues: [{ path: prefix ?? '(root)', message: 'cannot be written as JSON' }] };
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
  const range = outsideStorableTime(message, receivedMs, eventMs, prefix);
  if (range) return { ok: false, reason: 'timestamp_out_of_range', issues: [range] };
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
  const refused = options.check?.(event);
  if (refused) return { ok: false, reason: refused.reason, issues: refused.issues.map((i) => ({ path: at(prefix, i.path), message: i.message })) };
  return { ok: true, event };
}

/**
 * Why the times of a message cannot be stored (see STORABLE_TIME), naming the field to blame: the event time as
 * sent, or sentAt when only the clock correction takes it out of range. originalTimestamp and sentAt themselves are
 * kept as sent and may lie anywhere (a device whose clock was reset to 1960 still gets its corrected time right).
 */
function outsideStorableTime(message: SegmentMessage, receivedMs: number, eventMs: number, prefix: string | undefined): FieldIssue | undefined {
  if (!isStorableTime(receivedMs)) {
    return { path: at(prefix, 'receivedAt'), message: `the collector's clock reads ${new Date(receivedMs).toISOString()}, outside the times the stores hold (${storableRangeText})` };
  }
  if (isStorableTime(eventMs)) return undefined;
  const field = message.timestamp !== undefined ? 'timestamp' : 'originalTimestamp';
  const sent = message[field] as string;
  const corrected = new Date(eventMs).toISOString();
  if (isStorableTime(Date.parse(sent))) {
    return { path: at(prefix, 'sentAt'), message: `corrects ${field} ${sent} by the client's clock to ${corrected}, outside the times the stores hold (${storableRangeText}); check the client's clock` };
  }
  return { path: at(prefix, field), message: `${sent} lies outside the times the stores hold (${storableRangeText})` };
}

/** A body that is not a batch, or whose batch-wide context or integrations no message could carry. */
export interface InvalidBatch {
  readonly invalid: FieldIssue;
  readonly reason: 'invalid_batch' | 'invalid_unicode';
}

export interface BatchIntake {
  readonly accepted: TrackedEvent[];
  readonly rejected: { readonly index: number; readonly messageId?: string; readonly raw: unknown; readonly reason: RejectReason; readonly issues: readonly FieldIssue[] }[];
}

/**
 * A Segment batch body (`{ batch: [...], context?, integrations?, sentAt? }`): every message is judged on its own,
 * so one bad message does not cost the good ones. A body that is not a batch at all is a single rejection at `batch`;
 * so is one whose batch-wide context or integrations could not be stored, naming the field.
 */
export function intakeBatch(body: unknown, options: Omit<IntakeOptions, 'impliedType' | 'path' | 'batchContext' | 'batchIntegrations'>): BatchIntake | InvalidBatch {
  if (!isRecord(body) || !Array.isArray(body.batch)) return { invalid: { path: 'batch', message: 'expected an array of messages' }, reason: 'invalid_batch' };
  const batchContext = isRecord(body.context) ? body.context : undefined;
  const batchIntegrations = isRecord(body.integrations) ? body.integrations : undefined;
  // Merged into every message, so judged once here: what would refuse each message refuses the batch.
  const shared = findUnstorable({ context: batchContext, integrations: batchIntegrations });
  if (shared) return { invalid: { path: shared.path, message: shared.message }, reason: shared.kind === 'unicode' ? 'invalid_unicode' : 'invalid_batch' };
  // Some SDKs put sentAt on the batch only; it corrects every message's clock.
  const batchSentAt = typeof body.sentAt === 'string' ? body.sentAt : undefined;
  const accepted: TrackedEvent[] = [];
  const rejected: BatchIntake['rejected'][number][] = [];
  body.batch.forEach((raw: unknown, index) => {
    const message = batchSentAt && isRecord(raw) && raw.sentAt === undefined ? { ...raw, sentAt: batchSentAt } : raw;
    const result = intakeMessage(message, { ...options, path: `batch[${index}]`, ...(batchContext ? { batchContext } : {}), ...(batchIntegrations ? { batchIntegrations } : {}) });
    if (result.ok) accepted.push(result.event);
    else {
      // Echoed in the answer and keyed on in the dead-letter topic, so only when it is text.
      const messageId = isRecord(raw) && typeof raw.messageId === 'string' && raw.messageId.isWellFormed() ? raw.messageId : undefined;
      rejected.push({ index, ...(messageId ? { messageId } : {}), raw, reason: result.reason, issues: result.issues });
    }
  });
  return { accepted, rejected };
}
