/**
 * The parts of the browser tracker (public/tracker.js) that need no browser: which form fields may be captured, how
 * they map onto the "Form Submitted" properties, UTM parameters, ids and retry delays. esbuild bundles this module
 * into /t.js, so it must stay free of Node APIs and dependencies (its one import, the shared backoff, has none), and
 * lean: every byte is downloaded by every visitor.
 */
import { jitteredDelayMs } from '@leadscore/events/backoff';

export const TRACKER_VERSION = '1.0.0';

/**
 * The "Form Submitted" properties a field can fill (packages/events/src/product-events.ts), each with other names
 * it goes by in form builders (HubSpot, Marketo, Salesforce Web-to-Lead) and HTML autocomplete tokens, compared
 * without underscores or dashes (`emailaddress` stands for email_address and email-address); a property's own name
 * needs no entry. The first ten are also traits of the person; budget and timeline describe the deal, so they stay
 * last and on the form event only.
 */
const ALIASES = {
  email: 'emailaddress workemail businessemail',
  name: 'fullname yourname',
  first_name: 'fname givenname',
  last_name: 'lname surname familyname',
  phone: 'phonenumber telephone tel mobile mobilephone',
  title: 'jobtitle position role organizationtitle',
  company: 'companyname organization organisation',
  industry: 'sector',
  size: 'companysize employees numberofemployees numemployees headcount',
  region: 'territory',
  budget: '',
  timeline: 'timeframe',
};
export type FormKey = keyof typeof ALIASES;
const TRAIT_KEYS = Object.keys(ALIASES).slice(0, -2) as FormKey[];

/**
 * Length limits of the schema that differ from 200; clipping here keeps one over-long answer from getting the whole
 * event refused.
 */
const LIMITS: Partial<Record<FormKey, number>> = { email: 320, name: 500, phone: 64, title: 500, company: 500, size: 100 };
export const limitOf = (key: FormKey): number => LIMITS[key] ?? 200;

let byName: Map<string, FormKey> | undefined;
const aliasOf = (name: string): FormKey | undefined => {
  if (!byName) {
    byName = new Map();
    for (const [key, names] of Object.entries(ALIASES)) for (const n of `${key.replace('_', '')} ${names}`.trim().split(' ')) byName.set(n, key as FormKey);
  }
  return byName.get(name.toLowerCase().replace(/[_-]/g, ''));
};

/** `FirstName`, `first-name`, `First_Name__c` (Salesforce) → `first_name`; `lead[email]` → `lead_email`. */
export const normalizeName = (name: string): string =>
  name
    .replace(/__c$/i, '')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z\d]+/g, '_');

/** Name fragments that mark a credential, a one-time token or payment data; a stray match only costs one answer. */
const SECRET_WORDS = /pass|secret|token|[cx]srf|captcha|turnstile|nonce|cv[vc]|iban|card|apikey/;
const SECRET_PARTS = new Set('pwd pin otp csc ssn cc key auth sid sig hash salt'.split(' '));

export interface FieldIdentity {
  readonly name: string;
  /** The control's `type` as the DOM reports it (always lower-case): text, email, checkbox, select-one, textarea, … */
  readonly type: string;
  readonly autocomplete?: string | null;
}

/** Whether a field could hold a password, a token or card data: such a field is never read, whatever else holds. */
export const isSensitiveField = (field: FieldIdentity): boolean => {
  // The whole name, not its last segment: `payment[cc][number]` is card data even though it ends in `number`.
  const name = normalizeName(field.name);
  return field.type === 'password' || /cc-|passw|one-time/i.test(field.autocomplete ?? '') || SECRET_WORDS.test(name.replace(/_/g, '')) || name.split('_').some((part) => SECRET_PARTS.has(part));
};

const luhn = (digits: string): boolean => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[digits.length - 1 - i]) * (i % 2 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return sum % 10 === 0;
};

/** Whether a text carries something shaped like a payment card number (13–19 digits, spaces or dashes, Luhn-valid). */
export const containsCardNumber = (text: string): boolean =>
  (text.match(/\d(?:[ -]?\d){12,18}/g) ?? []).some((run) => luhn(run.replace(/\D/g, '')));

/** One form control as the tracker reads it from the page. */
export interface FormField extends FieldIdentity {
  /** The selected values of a multiple select; the value otherwise. */
  readonly value: string | readonly string[];
  readonly checked?: boolean;
  /** `data-leadscore-ignore`: the page asks for this field never to be captured. */
  readonly ignore?: boolean;
}

type Answer = string | boolean | string[];

export interface FormCapture {
  /** "Form Submitted" properties: form_id, the mapped fields, and `answers` (field name → answer) for the rest. */
  readonly properties: Record<string, unknown>;
  /** Traits for an identify, present when the form carries a plausible email address. */
  readonly traits?: Record<string, string>;
}

/** Controls a person types or picks an answer in; buttons, files and hidden inputs (tokens, page state) are not. */
const ANSWER_TYPES = /^(text(area)?|email|tel|url|number|search|select-\w+|checkbox|radio|date.*|month|week|time|range|color)$/;
const MAX_ANSWERS = 50;
/**
 * UTF-8 bytes the free answers (names and values) may take together. The collector refuses a message over 32 KB,
 * counted in bytes: Chinese text takes three per character, and the page context and mapped fields need room too.
 */
export const ANSWER_BYTES = 8000;
const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const clip = (value: string, max: number): string =>
  value.length > max ? value.slice(0, max) : value;

const valueOf = (group: readonly FormField[]): Answer | undefined => {
  const first = group[0] as FormField;
  // A lone checkbox without a value of its own is a yes/no question; a set of them is a multiple choice.
  if (first.type === 'checkbox' && !group[1] && (first.value === 'on' || !first.value)) return !!first.checked;
  if (first.type === 'checkbox' || first.type === 'radio') {
    const picked = group.filter((f) => f.checked).map((f) => String(f.value));
    return first.type === 'radio' ? picked[0] : picked;
  }
  const values = group.flatMap((f) => f.value).map((v) => v.trim()).filter(Boolean);
  return first.type === 'select-multiple' || values[1] ? values : values[0];
};

// By the name's last segment (`lead[email]`, `contact.email`); else by the autocomplete token (`section-x work email` →
// email) for fields named like `field_17`.
const keyOf = (field: FormField): FormKey | undefined =>
  aliasOf(normalizeName(field.name.split(/[[\].]/).filter(Boolean).pop() ?? '')) ?? aliasOf((field.autocomplete ?? '').split(' ').pop() ?? '') ?? (field.type === 'email' ? 'email' : undefined);

/**
 * A submitted form as "Form Submitted" properties (and identify traits when it has an email): fields mapped by name
 * onto the schema, other answers under `answers`. Sensitive fields, hidden and button fields, and any answer that
 * contains a card number are left out.
 */
export const captureForm = (formId: string, fields: readonly FormField[]): FormCapture => {
  const groups = new Map<string, FormField[]>();
  for (const f of fields) {
    if (!f.name || f.ignore || !ANSWER_TYPES.test(f.type) || isSensitiveField(f)) continue;
    groups.set(f.name, [...(groups.get(f.name) ?? []), f]);
  }

  const properties: Record<string, unknown> = { form_id: clip(formId, 200) };
  const answers: Record<string, Answer> = {};
  let count = 0;
  let room = ANSWER_BYTES;
  for (const [name, group] of groups) {
    const first = group[0] as FormField;
    const value = valueOf(group);
    const key = keyOf(first);
    // String() of an empty list is '', so this also drops a multiple choice with nothing picked; false stays.
    if (value === undefined || !String(value)) continue;
    // A phone number can pass the card check by chance; a card number in a phone field is not worth losing phones for.
    if (key !== 'phone' && first.type !== 'tel' && containsCardNumber(String(value))) continue;
    if (key && typeof value === 'string' && !(key in properties)) properties[key] = clip(value, limitOf(key));
    else if (count < MAX_ANSWERS) {
      const question = clip(name, 100);
      // A text is clipped to what surely fits (at most 3 bytes per UTF-16 unit); a list that does not fit is left out.
      const answer = typeof value === 'string' ? clip(value, Math.max(0, Math.min(5000, (room - utf8Bytes(question)) / 3))) : Array.isArray(value) ? value.slice(0, 50).map((v) => clip(v, 1000)) : value;
      const size = utf8Bytes(question + JSON.stringify(answer)) + 4;
      if (answer === '' || size > room) continue;
      room -= size;
      answers[question] = answer;
      count++;
    }
  }
  if (count) properties.answers = answers;

  if (!EMAIL.test(String(properties.email))) return { properties };
  const traits: Record<string, string> = {};
  for (const key of TRAIT_KEYS) if (properties[key]) traits[key] = properties[key] as string;
  return { properties, traits };
};

export type Campaign = Partial<Record<'source' | 'medium' | 'name' | 'term' | 'content', string>>;

/** The UTM parameters of a query string as Segment's `context.campaign` (utm_campaign is its `name`); undefined when there are none. */
export const campaignFromSearch = (search: string): Campaign | undefined => {
  const params = new URLSearchParams(search);
  let campaign: Campaign | undefined;
  for (const key of ['source', 'medium', 'campaign', 'term', 'content']) {
    const value = params.get(`utm_${key}`)?.trim();
    if (value) (campaign ??= {})[key === 'campaign' ? 'name' : (key as keyof Campaign)] = clip(value, 500);
  }
  return campaign;
};

/** A version-4 UUID from 16 random bytes, for browsers without crypto.randomUUID (it needs a secure context). */
export const uuidFromBytes = (bytes: Uint8Array): string => {
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes.subarray(0, 16), (b) => (b + 256).toString(16).slice(1)).join('');
  return hex.replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
};

/**
 * How long to wait before the `attempt`-th retry of a batch: the pipeline's one backoff, from about a second to a
 * minute with equal jitter, so the visitors of a site do not all come back at once after an outage yet always pause,
 * and never sooner than the collector's Retry-After (delta-seconds, as the collector sends it, capped at five
 * minutes: a tab does not wait longer). The core without its checks and HTTP-date parsing, to keep the bundle small.
 */
export const retryDelayMs = (attempt: number, retryAfter: string | null | undefined, random: number): number =>
  Math.max(jitteredDelayMs(attempt, 1000, 60_000, 'equal', random), Math.min(Number(retryAfter) || 0, 300) * 1000);
