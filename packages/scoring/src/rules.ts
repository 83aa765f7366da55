import { z } from 'zod';
import { NO_RATES, type Money } from './order.ts';
import { formatPath, MESSAGE_TYPES, type FieldIssue } from '@leadscore/events';
import { EVENT_KINDS } from './contribution.ts';
import { isTimeZone } from './days.ts';
import { DAY_MS, parseDuration } from './durations.ts';

/**
 * The scoring rules: one declarative file that marketing edits (YAML, parsed elsewhere into a plain object). Anything
 * wrong is refused as a whole, each problem at its path (`weights[3].match.url: invalid regular expression: …`),
 * because a half-applied rules file would score leads by rules nobody wrote.
 *
 * Conventions a rules author needs to know:
 *   - durations are a whole number and a unit (`90m`, `12h`, `7d`, `2w`); after parsing they are milliseconds;
 *   - patterns are JavaScript regular expressions, case-insensitive, compiled once here;
 *   - string comparisons (`eq`, `in`) ignore case; a number in a condition also matches a numeric string ("250000");
 *   - a list where one value is expected means "any of" (`event: [Unsubscribed, Email Unsubscribed]`);
 *   - every field of a `match` or `when` must hold.
 */

export const ROLES = ['EB', 'UB', 'TB', 'Coach'] as const;
export type Role = (typeof ROLES)[number];
export const TAG_KINDS = ['fact', 'stated', 'behavioral'] as const;
export type TagKind = (typeof TAG_KINDS)[number];
export const GRADES = ['A', 'B', 'C', 'D'] as const;
export type Grade = (typeof GRADES)[number];

// Ids end up in Redis keys, alert payloads and explanations: keep them plain.
const id = z
  .string()
  .max(100, 'at most 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected an id of letters, digits, "-", "_" or ".", e.g. pricing-page');

const action = z.string().min(1, 'must not be empty').max(1000, 'at most 1000 characters');

const duration = (least: number, what: string) =>
  z.string().transform((text, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    if (ms < least) ctx.addIssue({ code: 'custom', message: `${what}, got ${JSON.stringify(text)}` });
    return ms;
  });
/** A window or wait: longer than zero. */
const period = duration(1, 'must be longer than zero');
const cooldown = duration(0, 'must not be negative');
/** Half-lives are capped so that the heat arithmetic's W·h stays an exact integer (see heat.ts). */
const halfLife = duration(60_000, 'a half-life must be at least 1m').pipe(z.number().max(3650 * DAY_MS, 'a half-life must be at most 3650d'));

const pattern = z.string().transform((source, ctx) => {
  if (source === '') {
    ctx.addIssue({ code: 'custom', message: 'an empty pattern matches everything; leave the field out instead' });
    return z.NEVER;
  }
  try {
    // No g or y flag: those make RegExp.test stateful (lastIndex), and one compiled pattern serves every event.
    return new RegExp(source, 'i');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(error as Error).message}` });
    return z.NEVER;
  }
});

/** One value or a list of them, read as a list ("any of"). */
const oneOrMany = <T extends z.ZodType>(item: T) => z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(item).min(1, 'must list at least one value'));

const scalar = z.union([z.string(), z.number().finite(), z.boolean()], { error: 'expected a string, number or boolean' });
export type Scalar = z.output<typeof scalar>;

const operators = {
  eq: scalar.optional(),
  in: z.array(scalar).min(1, 'must list at least one value').optional(),
  matches: pattern.optional(),
  gt: z.number().finite().optional(),
  gte: z.number().finite().optional(),
  lt: z.number().finite().optional(),
  lte: z.number().finite().optional(),
  /** true: the value is present (not missing, null or ""); false: it is absent. */
  exists: z.boolean().optional(),
};
const OPERATOR_NAMES = Object.keys(operators) as (keyof typeof operators)[];
const hasOperator = (c: Record<string, unknown>) => OPERATOR_NAMES.some((op) => c[op] !== undefined);
const needsOperator = { message: `give at least one of ${OPERATOR_NAMES.join(', ')}` };

/** A test of one value, e.g. `{ gte: 100000 }`; a bare value means `{ eq: value }`. */
const valueCondition = z.preprocess(
  (v) => (v === null || typeof v !== 'object' || Array.isArray(v) ? { eq: v } : v),
  z.strictObject(operators).refine(hasOperator, needsOperator),
);
export type ValueCondition = z.output<typeof valueCondition>;

/** A test of a trait (`name` may be a dotted path into an object trait, e.g. `answers.need`). */
const traitCondition = z.strictObject({ name: z.string().min(1, 'must not be empty'), ...operators }).refine(hasOperator, needsOperator);
export type TraitCondition = z.output<typeof traitCondition>;

/** A test of a form answer, kept in the traits under `answers` (question → answer). */
const answerCondition = z.strictObject({ question: z.string().min(1, 'must not be empty'), ...operators }).refine(hasOperator, needsOperator);
export type AnswerCondition = z.output<typeof answerCondition>;

const domain = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/i, 'expected an email domain such as competitor.example')
  .transform((d) => d.toLowerCase());

const formId = z.union([z.string().min(1), z.number().finite()], { error: 'expected a form id' }).transform(String);

const MATCH_FIELDS = ['event', 'type', 'kind', 'url', 'path', 'formId', 'properties', 'orderValue', 'emailDomain'] as const;

/** Which events a rule is about. */
export const eventMatchSchema = z
  .strictObject({
    /** Name of a `track` call, e.g. `Order Completed`. */
    event: oneOrMany(z.string().min(1, 'must not be empty')).optional(),
    type: oneOrMany(z.enum(MESSAGE_TYPES)).optional(),
    /** What the portrait counts the event as (`email_open`, `form`, `order`, …; see contribution.ts). */
    kind: oneOrMany(z.enum(EVENT_KINDS)).optional(),
    /** Tested against the page's full URL (or an email click's link). */
    url: pattern.optional(),
    /** Tested against the page's path, e.g. `^/pricing(/|$)`. */
    path: pattern.optional(),
    /** `form_id` of a `Form Submitted` event. */
    formId: oneOrMany(formId).optional(),
    /** Conditions on the event's properties by name (dotted for nested ones, e.g. `answers.need`). */
    properties: z.record(z.string().min(1, 'must not be empty'), valueCondition).optional(),
    /**
     * A condition on an order's value in the reporting currency (ROLLUP_CURRENCY, converted with ROLLUP_RATES as the
     * rollups convert it): "Order Completed" its revenue, "Order Refunded" its amount. An order in a currency without
     * a rate does not match.
     */
    orderValue: valueCondition.optional(),
    /** Domain of the person's email, subdomains included (competitors, freemail). */
    emailDomain: oneOrMany(domain).optional(),
  })
  .refine((m) => MATCH_FIELDS.some((f) => m[f] !== undefined), { message: `give at least one of ${MATCH_FIELDS.join(', ')}` });
export type EventMatch = z.output<typeof eventMatchSchema>;

const weightRule = z.strictObject({
  id,
  description: z.string().optional(),
  match: eventMatchSchema,
  /** Negative for signs of moving away: careers page, unsubscribe, a competitor's staff. */
  weight: z.number().finite(),
  /** Defaults to `defaults.halfLife`. */
  halfLife: halfLife.optional(),
});
export type WeightRule = z.output<typeof weightRule>;

const traitTagRule = z.strictObject({
  id,
  kind: z.enum(['fact', 'stated']),
  description: z.string().optional(),
  when: z.strictObject({ trait: traitCondition }),
});

const behavioralTagRule = z.strictObject({
  id,
  kind: z.literal('behavioral'),
  description: z.string().optional(),
  /** At least `atLeast` matching events within `within` before now; no `within` means ever. */
  when: z.strictObject({ match: eventMatchSchema, atLeast: z.int().min(1), within: period.optional() }),
});

/** The tag's id is the tag. Fact and stated tags test traits; behavioral tags count events. */
const tagRule = z.discriminatedUnion('kind', [traitTagRule, behavioralTagRule]);
export type TagRule = z.output<typeof tagRule>;
export type TraitTagRule = z.output<typeof traitTagRule>;
export type BehavioralTagRule = z.output<typeof behavioralTagRule>;

const roleRule = z.strictObject({
  id,
  role: z.enum(ROLES),
  description: z.string().optional(),
  /** `title` is tested against the `title` trait. */
  when: z
    .strictObject({ title: pattern.optional(), trait: traitCondition.optional(), answer: answerCondition.optional() })
    .refine((w) => w.title !== undefined || w.trait !== undefined || w.answer !== undefined, { message: 'give at least one of title, trait, answer' }),
  /** The matching rule with the highest priority decides; among equals, the first in the file. */
  priority: z.int().default(0),
});
export type RoleRule = z.output<typeof roleRule>;

const profileEntry = z.strictObject({
  id,
  description: z.string().optional(),
  when: z
    .strictObject({ tag: oneOrMany(z.string().min(1)).optional(), role: oneOrMany(z.enum(ROLES)).optional(), trait: traitCondition.optional() })
    .refine((w) => w.tag !== undefined || w.role !== undefined || w.trait !== undefined, { message: 'give at least one of tag, role, trait' }),
  points: z.number().finite(),
});
export type ProfileEntry = z.output<typeof profileEntry>;

const fit = z.strictObject({
  /** The ideal-customer profile: points for each entry that holds. */
  profile: z.array(profileEntry),
  /** The least points for each grade; D below C. */
  grades: z
    .strictObject({ A: z.number().finite(), B: z.number().finite(), C: z.number().finite() })
    .refine((g) => g.A > g.B && g.B > g.C, { message: 'thresholds must fall from A to C (A > B > C)' }),
});

const alertBase = { id, description: z.string().optional(), action, cooldown: cooldown.default(0) };

const streakAlert = z.strictObject({
  ...alertBase,
  kind: z.literal('streak'),
  match: eventMatchSchema,
  /** Consecutive local days (in `timeZone`) with a matching event. */
  days: z.int().min(2, 'a streak is at least 2 days').max(366),
});
const tierAlert = z.strictObject({ ...alertBase, kind: z.literal('tier'), tier: z.enum(['warm', 'hot']) });
// A form may be sent by anyone holding the site's key: one alert per lead a day unless the rules say otherwise.
const formAlert = z.strictObject({ ...alertBase, cooldown: cooldown.default(86_400_000), kind: z.literal('form'), formId: oneOrMany(formId) });
const buyingGroupAlert = z
  .strictObject({
    ...alertBase,
    kind: z.literal('buying_group'),
    match: eventMatchSchema,
    /** The roles that count; `minRoles` distinct ones of them, from one company, within `within`. */
    roles: z.array(z.enum(ROLES)).min(1),
    minRoles: z.int().min(1),
    within: period,
  })
  .refine((a) => a.minRoles <= new Set(a.roles).size, { message: 'cannot exceed the number of distinct roles listed', path: ['minRoles'] });

/** Lifecycle stages as the analysts' rollups name them (packages/analytics). */
export const LIFECYCLE_STAGES = ['prospect', 'new', 'active', 'dormant', 'churned'] as const;
export const ABC_CLASSES = ['A', 'B', 'C'] as const;
/**
 * A lead (or, with `subject: company`, a company) whose lifecycle stage changes in an analysts' snapshot: into `to`,
 * from one of `from` when given, while its ABC class is one of `abcClass` when given. Once per change.
 */
const stageAlert = z.strictObject({
  ...alertBase,
  kind: z.literal('stage'),
  to: oneOrMany(z.enum(LIFECYCLE_STAGES)),
  from: oneOrMany(z.enum(LIFECYCLE_STAGES)).optional(),
  abcClass: oneOrMany(z.enum(ABC_CLASSES)).optional(),
  subject: z.enum(['lead', 'company']).default('lead'),
});

const alertRule = z.discriminatedUnion('kind', [streakAlert, tierAlert, formAlert, buyingGroupAlert, stageAlert]);

/**
 * Where alerts go. Channels are named here with their kind and target; secrets (webhook signing keys, bot secrets,
 * SMTP passwords) are not written in the file but named by the environment variable that holds them.
 */
const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected the name of an environment variable, e.g. FEISHU_SECRET');
/** `digest`: gather this channel's alerts and send them together once per period (per recipient: per channel). */
const digest = { digest: period.optional() };
const channel = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('log'), ...digest }),
  z.strictObject({ type: z.literal('webhook'), url: z.url(), secretEnv: envName, ...digest }),
  z.strictObject({ type: z.literal('slack'), url: z.url(), ...digest }),
  z.strictObject({ type: z.literal('wecom'), url: z.url(), ...digest }),
  z.strictObject({ type: z.literal('feishu'), url: z.url(), secretEnv: envName.optional(), ...digest }),
  z.strictObject({ type: z.literal('dingtalk'), url: z.url(), secretEnv: envName.optional(), ...digest }),
  z.strictObject({ type: z.literal('email'), to: z.array(z.email()).min(1), ...digest }),
]);
const routeRule = z.strictObject({
  id,
  /** Every condition given must hold; a route without conditions matches every alert. */
  when: z
    .strictObject({
      owner: oneOrMany(z.string().min(1)).optional(),
      region: oneOrMany(z.string().min(1)).optional(),
      tier: oneOrMany(z.enum(['hot', 'warm', 'cold'])).optional(),
      role: oneOrMany(z.enum(ROLES)).optional(),
      rule: oneOrMany(z.string().min(1)).optional(),
    })
    .default({}),
  channels: z.array(z.string().min(1)).min(1),
});
const routing = z
  .strictObject({
    channels: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a lower-case channel name'), channel),
    /** The first matching route wins; `default` when none matches. */
    routes: z.array(routeRule).default([]),
    default: z.array(z.string().min(1)).min(1),
  })
  .superRefine((r, ctx) => {
    const known = new Set(Object.keys(r.channels));
    r.routes.forEach((route, i) => route.channels.forEach((c, j) => known.has(c) || ctx.addIssue({ code: 'custom', path: ['routes', i, 'channels', j], message: `unknown channel "${c}"` })));
    r.default.forEach((c, j) => known.has(c) || ctx.addIssue({ code: 'custom', path: ['default', j], message: `unknown channel "${c}"` }));
  });
export type Routing = z.output<typeof routing>;
export type RouteRule = z.output<typeof routeRule>;
export type AlertRule = z.output<typeof alertRule>;
export type StreakAlert = z.output<typeof streakAlert>;
export type BuyingGroupAlert = z.output<typeof buyingGroupAlert>;

export const rulesSchema = z
  .strictObject({
    /** Stored with every score, so a score can be traced to the rules that made it. */
    version: z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'expected a string; quote it in YAML ("1.10") so it is not read as a number') }).min(1, 'must not be empty'),
    /** IANA zone in which days are counted (streaks); when absent, the deployment's TIME_ZONE. */
    timeZone: z.string().refine(isTimeZone, { message: 'unknown IANA time zone; expected e.g. Asia/Shanghai or Europe/Berlin' }).optional(),
    defaults: z
      .strictObject({
        halfLife: halfLife.prefault('7d'),
        /** Whether events flagged bot, scanner or internal score; they do not by default. */
        flaggedScore: z.boolean().default(false),
      })
      .prefault({}),
    /** Heat thresholds; cold below warm. */
    tiers: z.strictObject({ hot: z.number().finite(), warm: z.number().finite() }).refine((t) => t.hot > t.warm, { message: 'hot must be above warm', path: ['hot'] }),
    weights: z.array(weightRule),
    tags: z.array(tagRule).default([]),
    roles: z.array(roleRule).default([]),
    fit,
    alerts: z.array(alertRule).default([]),
    /** Leads with no counted activity for `after` get the quiet tag; with `action`, sales get a nurture notification too. */
    quiet: z.strictObject({ after: period, tag: id, action: z.string().min(1).optional() }).optional(),
    /** Which channels each alert goes to: by company owner, region, tier, role or rule; a default route. */
    routing: routing.default({ channels: { log: { type: 'log' } }, routes: [], default: ['log'] }),
  })
  .superRefine((rules, ctx) => {
    for (const section of ['weights', 'tags', 'roles', 'alerts'] as const) uniqueIds(rules[section], [section], ctx);
    uniqueIds(rules.fit.profile, ['fit', 'profile'], ctx);
    const tags = new Set(rules.tags.map((t) => t.id));
    if (rules.quiet && tags.has(rules.quiet.tag)) {
      ctx.addIssue({ code: 'custom', path: ['quiet', 'tag'], message: `"${rules.quiet.tag}" is also a tag rule's id; the quiet tag comes from inactivity alone` });
    }
    if (rules.quiet) tags.add(rules.quiet.tag);
    rules.fit.profile.forEach((entry, i) => {
      (entry.when.tag ?? []).forEach((tag, j) => {
        if (!tags.has(tag)) ctx.addIssue({ code: 'custom', path: ['fit', 'profile', i, 'when', 'tag', j], message: `unknown tag "${tag}": not a tag rule's id nor the quiet tag` });
      });
    });
  });

function uniqueIds(entries: readonly { id: string }[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  entries.forEach((entry, i) => {
    const seen = first.get(entry.id);
    if (seen === undefined) first.set(entry.id, i);
    else ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: `duplicate id "${entry.id}" (also ${formatPath([...path, seen])})` });
  });
}

/** Rules as the services use them: the file's, with the deployment's reporting currency and rates (orderValue). */
export type Rules = z.output<typeof rulesSchema> & { readonly money: Money };
/** The rules as written (durations and patterns as strings), e.g. for the default rules' object literal. */
export type RulesInput = z.input<typeof rulesSchema>;

export class RulesError extends Error {
  override readonly name = 'RulesError';
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`invalid rules (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
  return undefined;
};

function fieldIssues(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    // zod reports unknown keys on the object; a person looks for the key itself, usually a typo.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown field' });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/**
 * Validates a rules object (already parsed from YAML) and compiles it; throws RulesError listing every problem.
 * `money`: the deployment's reporting currency and rates, which `orderValue` conditions convert with (else USD only).
 */
export function parseRules(input: unknown, options: { readonly money?: Money } = {}): Rules {
  const result = rulesSchema.safeParse(input, { error: errorMap });
  if (!result.success) throw new RulesError(fieldIssues(result.error));
  return { ...result.data, money: options.money ?? NO_RATES };
}
