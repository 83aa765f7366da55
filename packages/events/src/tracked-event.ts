import { z } from 'zod';
import { isoDateTime, messageBases, storedMessageBases, withIdentity } from './message.ts';
import { storableDateTime } from './storable-time.ts';

/**
 * An accepted event: a Segment message as the collector stamped it, which is what the events topic carries.
 * Bump SCHEMA_VERSION (the `schema-version` Kafka header) on any change a reader of version N could misread.
 */
export const SCHEMA_VERSION = 1;

/** `admin`: decisions a person made through the API (a manual merge); the collector never gives it to a key. */
export const SOURCE_KINDS = ['segment', 'import', 'tracker', 'email', 'admin'] as const;

export const sourceSchema = z.object({
  /** The configured source the write key belongs to, e.g. `web`. */
  id: z.string().min(1).max(100),
  kind: z.enum(SOURCE_KINDS),
});

/** Why an event should not heat a lead (bot, email scanner, internal traffic); kept on the raw event, visible per event. */
export const flagSchema = z.object({
  kind: z.enum(['bot', 'scanner', 'internal']),
  reason: z.string().max(500),
});

const stamped = {
  messageId: z.string().min(1).max(100),
  /** Event time, corrected for the client's clock: timestamp + (receivedAt − sentAt); within STORABLE_TIME. */
  timestamp: storableDateTime,
  /** The timestamp as the client sent it, when it differs or was corrected. */
  originalTimestamp: isoDateTime.optional(),
  receivedAt: storableDateTime,
  source: sourceSchema,
  flags: z.array(flagSchema).max(20).default([]),
};

const stampedUnion = (bases: typeof messageBases) =>
  withIdentity(
    z.discriminatedUnion('type', [
      bases.track.extend(stamped),
      bases.page.extend(stamped),
      bases.screen.extend(stamped),
      bases.identify.extend(stamped),
      bases.group.extend(stamped),
      bases.alias.extend(stamped),
    ]),
  );

export const trackedEventSchema = stampedUnion(messageBases);

/**
 * The same event read back from the events topic, where the collector wrote it already normalised (no nulls,
 * string ids): the checks without the wire's leniency, for the ingest worker's hot path.
 */
export const storedEventSchema = stampedUnion(storedMessageBases);

export type TrackedEvent = z.output<typeof trackedEventSchema>;
export type Source = z.output<typeof sourceSchema>;
export type EventFlag = z.output<typeof flagSchema>;

/** The identity an event is keyed by: its userId, else its anonymousId. Alias calls have a userId by schema. */
export function identityKey(event: Pick<TrackedEvent, 'userId' | 'anonymousId'>): string {
  return event.userId ?? (event.anonymousId as string);
}
