import { z } from 'zod';

/**
 * The Segment Tracking API's message types and envelope, as SDKs send them. Unknown fields are kept (SDKs add their
 * own, such as `_metadata` or `channel`), but every field the pipeline reads is checked here.
 */

export const MESSAGE_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** ISO-8601 with a time zone designator or offset, as the SDKs send (`2026-11-25T08:00:00.000Z`). */
export const isoDateTime = z
  .string()
  .max(64)
  .refine((s) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'expected an ISO-8601 date-time with a time zone, e.g. 2026-11-25T08:00:00.000Z',
  });

/** Segment accepts numeric ids and treats them as strings. */
const id = (max: number) =>
  z
    .union([z.string(), z.number().finite()])
    .transform((v) => String(v))
    .pipe(z.string().min(1, 'must not be empty').max(max, `at most ${max} characters`));

const dict = z.record(z.string(), z.unknown());

export const campaignSchema = z.looseObject({
  name: z.string().max(500).optional(),
  source: z.string().max(500).optional(),
  medium: z.string().max(500).optional(),
  term: z.string().max(500).optional(),
  content: z.string().max(500).optional(),
});

export const contextSchema = z.looseObject({
  page: z
    .looseObject({
      path: z.string().max(4096).optional(),
      referrer: z.string().max(4096).optional(),
      search: z.string().max(4096).optional(),
      title: z.string().max(1000).optional(),
      url: z.string().max(4096).optional(),
    })
    .optional(),
  userAgent: z.string().max(2048).optional(),
  ip: z.string().max(64).optional(),
  campaign: campaignSchema.optional(),
  traits: dict.optional(),
  /** Consent as the page states it, e.g. `{ categoryPreferences: { analytics: true } }`. */
  consent: dict.optional(),
  /** Attributes the call to a company (account), as Segment's `context.groupId`. */
  groupId: id(256).optional(),
  library: z.looseObject({ name: z.string().max(200).optional(), version: z.string().max(100).optional() }).optional(),
  locale: z.string().max(64).optional(),
  timezone: z.string().max(64).optional(),
});

export const integrationsSchema = z.record(z.string(), z.unknown());

const envelope = {
  messageId: z.string().min(1, 'must not be empty').max(100, 'at most 100 characters').optional(),
  anonymousId: id(256).optional(),
  userId: id(256).optional(),
  timestamp: isoDateTime.optional(),
  originalTimestamp: isoDateTime.optional(),
  sentAt: isoDateTime.optional(),
  context: contextSchema.optional(),
  integrations: integrationsSchema.optional(),
};

export const withIdentity = <T extends z.ZodType<{ userId?: string | undefined; anonymousId?: string | undefined }>>(schema: T) =>
  schema.superRefine((m, ctx) => {
    if (m.userId === undefined && m.anonymousId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'either userId or anonymousId is required' });
    }
  });

/** The six message shapes without the identity rule, so the stamped form of each can extend them. */
export const messageBases = {
  track: z.looseObject({ ...envelope, type: z.literal('track'), event: z.string().min(1, 'must not be empty').max(200), properties: dict.optional() }),
  page: z.looseObject({ ...envelope, type: z.literal('page'), name: z.string().max(500).optional(), category: z.string().max(500).optional(), properties: dict.optional() }),
  screen: z.looseObject({ ...envelope, type: z.literal('screen'), name: z.string().max(500).optional(), category: z.string().max(500).optional(), properties: dict.optional() }),
  identify: z.looseObject({ ...envelope, type: z.literal('identify'), traits: dict.optional() }),
  group: z.looseObject({ ...envelope, type: z.literal('group'), groupId: id(256), traits: dict.optional() }),
  alias: z.looseObject({ ...envelope, type: z.literal('alias'), userId: id(256), previousId: id(256) }),
} as const;

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
