import type { BlockList } from 'node:net';
import type { Message } from 'kafkajs';
import { deadLetter, encodeDeadLetter, encodeEvent, type FieldIssue, type RejectReason, type Source, type TrackedEvent } from '@leadscore/events';
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
}

/**
 * Where every route's events go: noise flags added, accepted events to the events topic, refused messages to the
 * dead-letter topic with their reasons, all in one produce that must be acknowledged before the route answers.
 */
export function createEventSink(deps: EventSinkDeps) {
  const { buffer, metrics, topics } = deps;
  return {
    async store(
      route: string,
      source: Source,
      events: readonly TrackedEvent[],
      rejected: readonly RejectedMessage[] = [],
      extraFlags: (event: TrackedEvent) => readonly NoiseFlag[] = () => [],
    ): Promise<TrackedEvent[]> {
      const flagged = events.map((e) => {
        const flags = [...e.flags, ...noiseFlags(e, deps.noise, deps.internalNetworks), ...extraFlags(e)];
        return flags.length === e.flags.length ? e : { ...e, flags };
      });
      const eventMessages: Message[] = flagged.map(encodeEvent);
      const letters: Message[] = rejected.map((r) =>
        encodeDeadLetter(
          deadLetter({
            reason: r.reason,
            message: `message ${r.index} of a request to ${route} was refused: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            issues: r.issues,
            stage: 'collector',
            sourceId: source.id,
            original: JSON.stringify(r.raw) ?? 'undefined',
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
      return flagged;
    },
  };
}

export type EventSink = ReturnType<typeof createEventSink>;
