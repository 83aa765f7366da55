import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Email open pixels and click links carry who and what in their query, signed with a secret the email tool shares
 * with the collector, so a recipient cannot forge another recipient's click (or an open for an email never sent).
 *
 *   k  write key of the source      e  email id         c  campaign id (optional)
 *   r  recipient (email or userId)  t  send time, unix seconds (lets scanner clicks be told from people's)
 *   u  target URL (clicks only)     s  signature: base64url HMAC-SHA256 over the fields above
 */
export interface EmailLinkFields {
  readonly writeKey: string;
  readonly emailId: string;
  readonly campaignId?: string | undefined;
  readonly recipient: string;
  readonly sentAt: number;
  readonly url?: string | undefined;
}

const ORDER = ['k', 'e', 'c', 'r', 't', 'u'] as const;

function toQuery(fields: EmailLinkFields): Record<(typeof ORDER)[number], string> {
  return {
    k: fields.writeKey,
    e: fields.emailId,
    c: fields.campaignId ?? '',
    r: fields.recipient,
    t: String(Math.floor(fields.sentAt)),
    u: fields.url ?? '',
  };
}

/** Length-prefixed, so no choice of values can make two different field sets sign the same bytes. */
function canonical(q: Record<(typeof ORDER)[number], string>, kind: 'open' | 'click'): string {
  return [kind, ...ORDER.map((k) => `${q[k].length}:${q[k]}`)].join('|');
}

function sign(q: Record<(typeof ORDER)[number], string>, kind: 'open' | 'click', secret: string): string {
  return createHmac('sha256', secret).update(canonical(q, kind)).digest('base64url');
}

/** The query string of a signed open pixel (`kind: 'open'`) or click link (`kind: 'click'`, with `url`). */
export function signedEmailQuery(kind: 'open' | 'click', fields: EmailLinkFields, secret: string): URLSearchParams {
  if (kind === 'click' && !fields.url) throw new Error('a click link needs the url it leads to');
  const q = toQuery(fields);
  const params = new URLSearchParams();
  for (const key of ORDER) if (q[key] !== '') params.set(key, q[key]);
  params.set('s', sign(q, kind, secret));
  return params;
}

export type EmailLinkCheck =
  | { readonly ok: true; readonly fields: EmailLinkFields }
  | { readonly ok: false; readonly reason: 'missing_field' | 'bad_signature'; readonly message: string };

/** Checks a pixel or click query; the signature is compared in constant time. */
export function verifyEmailQuery(kind: 'open' | 'click', query: Record<string, unknown>, secret: string): EmailLinkCheck {
  const get = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : '');
  for (const required of ['k', 'e', 'r', 't', 's', ...(kind === 'click' ? ['u'] : [])]) {
    if (!get(required)) return { ok: false, reason: 'missing_field', message: `query parameter ${required} is required` };
  }
  if (!/^\d{1,12}$/.test(get('t'))) return { ok: false, reason: 'missing_field', message: 'query parameter t must be unix seconds' };
  const q = { k: get('k'), e: get('e'), c: get('c'), r: get('r'), t: get('t'), u: kind === 'click' ? get('u') : '' };
  const expected = Buffer.from(sign(q, kind, secret));
  const given = Buffer.from(get('s'));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'bad_signature', message: 'the link signature does not match its fields' };
  }
  return {
    ok: true,
    fields: { writeKey: q.k, emailId: q.e, campaignId: q.c || undefined, recipient: q.r, sentAt: Number(q.t), url: q.u || undefined },
  };
}

/**
 * Redirect targets must be on the allow-list: exact hosts, or `*.example.com` for its subdomains (not the apex).
 * Only http(s); no credentials in the URL.
 */
export function redirectAllowed(target: string, allowedHosts: readonly string[]): { ok: true; url: URL } | { ok: false; message: string } {
  if (!URL.canParse(target)) return { ok: false, message: 'the target is not a URL' };
  const url = new URL(target);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: `protocol ${url.protocol} is not allowed` };
  if (url.username || url.password) return { ok: false, message: 'credentials in the target URL are not allowed' };
  const host = url.hostname.toLowerCase();
  const allowed = allowedHosts.some((h) => {
    const rule = h.toLowerCase();
    return rule.startsWith('*.') ? host.endsWith(rule.slice(1)) && host.length > rule.length - 1 : host === rule;
  });
  return allowed ? { ok: true, url } : { ok: false, message: `host ${host} is not on the redirect allow-list` };
}
