import { createHmac, timingSafeEqual } from 'node:crypto';
import { emailFromToken } from './email-token-format.ts';

export { EMAIL_TOKEN_PARAM, emailFromToken } from './email-token-format.ts';

/**
 * Proof that a browser's person reads an address: a signed email click (only the address's reader has the link)
 * redirects to the landing page with `?ls_ev=<token>`, and the tracker sends the token with an identify of that
 * email (context.emailToken). A browser's email claim is otherwise provisional (anyone can type any address into a
 * form); with a valid token it is trusted, the way Marketo's mkt_tok or HubSpot's _hsenc tie a click to its
 * recipient.
 *
 *   <base64url(email)>.<expiry, unix seconds>.<base64url HMAC-SHA256(link secret, "email-token|" len:email "|" expiry)>
 *
 * The email comes first, readable without the secret, so the tracker can name it (email-token-format.ts). A
 * forwarded email forwards the proof too: the weakness every vendor's link identification shares, bounded here by
 * the expiry.
 */

/** How long after the click the landing page may present the token: the page loads within seconds, a day is ample. */
export const EMAIL_TOKEN_TTL_MS = 86_400_000;

const MAX_TOKEN_LENGTH = 1000;

const signature = (email: string, expiresAtSeconds: number, secret: string) =>
  createHmac('sha256', secret).update(`email-token|${email.length}:${email}|${expiresAtSeconds}`).digest('base64url');

/** The token a click on a link to `email` hands the landing page, valid until `expiresAtMs`. */
export function emailTokenOf(email: string, expiresAtMs: number, secret: string): string {
  const expires = Math.floor(expiresAtMs / 1000);
  return `${Buffer.from(email, 'utf8').toString('base64url')}.${expires}.${signature(email, expires, secret)}`;
}

/**
 * Whether `token` proves `email` at `atMs` (the claiming event's own time, so a replay decides the same): signed with
 * the secret, for this very address (compared normalized: lower case, trimmed), not expired.
 */
export function emailTokenProves(token: unknown, email: string | undefined, atMs: number, secret: string | undefined): boolean {
  if (secret === undefined || email === undefined || typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return false;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [, expiresText, given] = parts as [string, string, string];
  if (!/^\d{1,12}$/.test(expiresText) || Number(expiresText) * 1000 < atMs) return false;
  const tokenEmail = emailFromToken(token);
  if (tokenEmail === undefined || tokenEmail.trim().toLowerCase() !== email) return false;
  const expected = Buffer.from(signature(tokenEmail, Number(expiresText), secret));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
