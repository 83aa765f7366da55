import { z } from 'zod';

/**
 * The Segment Tracking API's message types and envelope, as SDKs send them. Unknown fields are kept (SDKs add their
 * own, such as `_metadata` or `channel`), but every field the pipeline reads is checked here.
 */

export const MESSAGE_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
export const ISO_DATE_TIME_MESSAGE = 'expected an ISO-8601 date-time with a time zone, e.g. 2026-11-25T08:00:00.000Z';

/** Epoch milliseconds of an ISO-8601 date-time with a time zone, or NaN when it is not one. */
export const parseIsoDateTime = (s: string): number => (ISO_DATE_TIME.test(s) ? Date.parse(s) : Number.NaN);

/** ISO-8601 with a time zone designator or offset, as the SDKs send (`2026-11-25T08:00:00.000Z`). */
export const isoDateTime = z
  .string()
  .max(64)
  .refine((s) => !Number.isNaN(parseIsoDateTime(s)), { message: ISO_DATE_TIME_MESSAGE });

/**
 * How the shapes below read an optional field and an id. On the wire, as Segment takes them: `null` means absent
 * (analytics.js sends `"userId": null` on every call before identify, and refusing that would lose all anonymous
 * browser traffic) and numeric ids are strings. Stored on the events topic, an event has been through the wire
 * schema already, so neither occurs and the plain, several times cheaper checks hold.
 */
const nullAsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? undefined : v), schema.optional());
const numericOrStringId = (max: number) =>
  z
    .union([z.string(), z.number().finite()])
    .transform((v) => String(v))
    .pipe(z.string().min(1, 'must not be empty').max(max, `at most ${max} characters`));

interface FieldReading {
  readonly optional: typeof nullAsAbsent;
  readonly id: typeof numericOrStringId;
}

const wire: FieldReading = { optional: nullAsAbsent, id: numericOrStringId };

// Typed as the wire reading: what the shapes output is the same, only what they accept differs.
const stored = {
  optional: <T extends z.ZodType>(schema: T) => schema.optional(),
  id: (max: number) => z.string().min(1, 'must not be empty').max(max, `at most ${max} characters`),
} as unknown as FieldReading;

const dict = z.record(z.string(), z.unknown());
export const integrationsSchema = z.record(z.string(), z.unknown());

/** The six message shapes without the identity rule, so the stamped form of each can extend them. */
function messageShapes({ optional, id }: FieldReading) {
  const campaign = z.looseObject({
    name: optional(z.string().max(500)),
    source: optional(z.string().max(500)),
    medium: optional(z.string().max(500)),
    term: optional(z.string().max(500)),
    content: optional(z.string().max(500)),
  });
  const context = z.looseObject({
    page: optional(
      z.looseObject({
        path: optional(z.string().max(4096)),
        referrer: optional(z.string().max(4096)),
        search: optional(z.string().max(4096)),
        title: optional(z.string().max(1000)),
        url: optional(z.string().max(4096)),
      }),
    ),
    userAgent: optional(z.string().max(2048)),
    ip: optional(z.string().max(64)),
    campaign: optional(campaign),
    traits: optional(dict),
    /** Consent as the page states it, e.g. `{ categoryPreferences: { analytics: true } }`. */
    consent: optional(dict),
    /** Attributes the call to a company (account), as Segment's `context.groupId`. */
    groupId: optional(id(256)),
    library: optional(z.looseObject({ name: optional(z.string().max(200)), version: optional(z.string().max(100)) })),
    locale: optional(z.string().max(64)),
    timezone: optional(z.string().max(64)),
  });
  const envelope = {
    messageId: optional(z.string().min(1, 'must not be empty').max(100, 'at most 100 characters')),
    anonymousId: optional(id(256)),
    userId: optional(id(256)),
    timestamp: optional(isoDateTime),
    originalTimestamp: optional(isoDateTime),
    sentAt: optional(isoDateTime),
    context: optional(context),
    integrations: optional(integrationsSchema),
  };
  return {
    campaign,
    context,
    bases: {
      track: z.looseObject({ ...envelope, type: z.literal('track'), event: z.string().min(1, 'must not be empty').max(200), properties: optional(dict) }),
      page: z.looseObject({ ...envelope, type: z.literal('page'), name: optional(z.string().max(500)), category: optional(z.string().max(500)), properties: optional(dict) }),
      screen: z.looseObject({ ...envelope, type: z.literal('screen'), name: optional(z.string().max(500)), category: optional(z.string().max(500)), properties: optional(dict) }),
      identify: z.looseObject({ ...envelope, type: z.literal('identify'), traits: optional(dict) }),
      group: z.looseObject({ ...envelope, type: z.literal('group'), groupId: id(256), traits: optional(dict) }),
      alias: z.looseObject({ ...envelope, type: z.literal('alias'), userId: id(256), previousId: id(256) }),
    },
  };
}

const wireShapes = messageShapes(wire);
export const campaignSchema = wireShapes.campaign;
export const contextSchema = wireShapes.context;
export const messageBases = wireShapes.bases;
/** The same shapes as stored on the events topic (see FieldReading). */
export const storedMessageBases = messageShapes(stored).bases;

export const withIdentity = <T extends z.ZodType<{ userId?: string | undefined; anonymousId?: string | undefined }>>(schema: T) =>
  schema.superRefine((m, ctx) => {
    if (m.userId === undefined && m.anonymousId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'either userId or anonymousId is required' });
    }
  });

export const trackSchema = withIdentity(messageBases.track);
export const pageSchema = withIdentity(messageBases.page);
export const screenSchema = withIdentity(messageBases.screen);
export const identifySchema = withIdentity(messageBases.identify);
export const groupSchema = withIdentity(messageBases.group);
export const aliasSchema = messageBases.alias;

export const messageSchemas = {
  track: trackSchema,
  page: pageSchema,
  screen: screenSchema,
  identify: identifySchema,
  group: groupSchema,
  alias: aliasSchema,
} as const;

export type TrackMessage = z.output<typeof trackSchema>;
export type PageMessage = z.output<typeof pageSchema>;
export type ScreenMessage = z.output<typeof screenSchema>;
export type IdentifyMessage = z.output<typeof identifySchema>;
export type GroupMessage = z.output<typeof groupSchema>;
export type AliasMessage = z.output<typeof aliasSchema>;
export type SegmentMessage = TrackMessage | PageMessage | ScreenMessage | IdentifyMessage | GroupMessage | AliasMessage;
export type Context = z.output<typeof contextSchema>;
