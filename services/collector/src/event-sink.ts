import type { BlockList } from 'node:net';
import type { Message } from 'kafkajs';
import { deadLetter, deniesAnalytics, encodeDeadLetter, encodeEvent, type FieldIssue, type RejectReason, type Source, type TrackedEvent } from '@leadscore/events';
import { noiseFlags, type NoiseFlag, type NoiseSettings } from '@leadscore/tracking';
import type { CollectorMetrics } from './metrics.ts';
import type { ProduceBuffer } from './produce-buffer.ts';

export interface RejectedMessage {
  readonly index: number;
  readonly messageId?: string;
  readonly raw: unknown;
  readonly reason: RejectReason;
  readonly issues: readonly FieldIssue[];
}

export interface EventSinkDeps {
  readonly buffer: ProduceBuffer;
  readonly metrics: CollectorMetrics;
  readonly topics: { readonly events: string; readonly deadLetter: string };
  readonly noise: NoiseSettings;
  readonly internalNetworks: BlockList;
  /** Keeps the count of messages dropped for withheld consent, per source (the only trace they leave). */
  readonly consentWithheld?: (source: Source, count: number) => Promise<void>;
}

/** A refused message as the dead letter keeps it; one nested too deeply for JSON.stringify is described instead. */
function originalOf(raw: unknown): string {
  try {
    return JSON.stringify(raw) ?? 'undefined';
  } catch {
    return '"(not kept: nested too deeply to write as JSON)"';
  }
}

/**
 * Where every route's events go: noise flags added, accepted events to the events topic, refused messages to the
 * dead-letter topic with their reasons, all in one produce that must be acknowledged before the route answers.
 */
export function createEventSink(deps: EventSinkDeps) {
  const { buffer, metrics, topics } = deps;

  /** The event with its noise flags: the noise rules', then the route's own (email scanners). */
  function flag(event: TrackedEvent, extraFlags: readonly NoiseFlag[] = []): TrackedEvent {
    const flags = [...event.flags, ...noiseFlags(event, deps.noise, deps.internalNetworks), ...extraFlags];
    return flags.length === event.flags.length ? event : { ...event, flags };
  }

  /** Writes events already flagged, and the refused messages as dead letters, in one acknowledged produce. */
  async function send(route: string, source: Source, flagged: readonly TrackedEvent[], rejected: readonly RejectedMessage[] = []): Promise<void> {
    const eventMessages: Message[] = flagged.map(encodeEvent);
    const letters: Message[] = rejected.map((r) =>
      encodeDeadLetter(
        deadLetter({
          reason: r.reason,
          message: `message ${r.index} of a request to ${route} was refused: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          issues: r.issues,
          stage: 'collector',
          sourceId: source.id,
          original: originalOf(r.raw),
          ...(r.messageId ? { messageId: r.messageId } : {}),
        }),
      ),
    );
    await buffer.send([
      ...(eventMessages.length ? [{ topic: topics.events, messages: eventMessages }] : []),
      ...(letters.length ? [{ topic: topics.deadLetter, messages: letters }] : []),
    ]);
    for (const e of flagged) metrics.accepted.inc({ route, source: source.id, type: e.type });
    for (const r of rejected) metrics.rejected.inc({ route, reason: r.reason });
  }

  return {
    flag,
    send,
    /**
     * Stores accepted events and refused messages. A message whose context withholds consent to analytics is neither
     * stored nor scored, nor dead-lettered (that would keep it): only counted per source. Returns how many were.
     */
    async store(route: string, source: Source, events: readonly TrackedEvent[], rejected: readonly RejectedMessage[] = []): Promise<{ readonly stored: number; readonly withheld: number }> {
      const consented = events.filter((e) => !deniesAnalytics(e.context));
      const withheld = events.length - consented.length;
      await send(route, source, consented.map((e) => flag(e)), rejected);
      if (withheld > 0) {
        metrics.rejected.inc({ route, reason: 'consent_withheld' }, withheld);
        await deps.consentWithheld?.(source, withheld);
      }
      return { stored: consented.length, withheld };
    },
  };
}

export type EventSink = ReturnType<typeof createEventSink>;
