import type { FieldIssue } from './issues.ts';
import { intakeMessage, type IntakeOptions } from './intake.ts';
import { type DeadLetter, ORIGINAL_CAP, originalBytes } from './dead-letter.ts';
import { decodeEvent } from './record.ts';
import type { TrackedEvent } from './tracked-event.ts';

export interface ReplaySettings {
  readonly maxFutureMs: number;
  readonly maxPastMs: number;
  /** The collector's further rule (identityIssue), so a message it refused is judged by it again. */
  readonly check?: IntakeOptions['check'];
}

export type ReplayResult = { readonly ok: true; readonly event: TrackedEvent } | { readonly ok: false; readonly reason: string; readonly issues: readonly FieldIssue[] };

/**
 * Feeds a dead letter's original bytes back through today's validation. A message the collector refused is taken in
 * again as received at the letter's time (so its time bounds are judged as they were); a record the workers could not
 * decode is decoded again. The messageId is the original's or derived from its bytes, so replaying twice is harmless.
 */
export function replayLetter(letter: DeadLetter, settings: ReplaySettings): ReplayResult {
  if (letter.truncated) {
    const where = letter.origin ? `${letter.origin.topic} partition ${letter.origin.partition} offset ${letter.origin.offset}` : 'nowhere it can be read again';
    return { ok: false, reason: 'truncated', issues: [{ path: '(original)', message: `the letter keeps ${ORIGINAL_CAP} of its ${letter.truncated.bytes} bytes; the whole is at ${where}` }] };
  }
  const bytes = originalBytes(letter);
  if (letter.stage === 'ingest' || letter.stage === 'replay') {
    const decoded = decodeEvent(bytes);
    return decoded.ok ? { ok: true, event: decoded.event } : { ok: false, reason: decoded.reason, issues: decoded.issues };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', issues: [{ path: '(root)', message: (err as Error).message }] };
  }
  const result = intakeMessage(raw, {
    receivedAt: new Date(letter.at),
    source: { id: letter.sourceId ?? 'replay', kind: letter.stage === 'import' ? 'import' : 'segment' },
    maxFutureMs: settings.maxFutureMs,
    maxPastMs: letter.stage === 'import' ? null : settings.maxPastMs,
    ...(settings.check ? { check: settings.check } : {}),
  });
  return result.ok ? { ok: true, event: result.event } : { ok: false, reason: result.reason, issues: result.issues };
}
