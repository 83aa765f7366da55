import { createHmac, timingSafeEqual } from 'node:crypto';
import { epochMs, type AlertMessage, type Clock } from './message.ts';

/**
 * The generic signed webhook, in the scheme Stripe uses (and GitHub's HMAC-SHA256 of the raw body): the
 * signature covers a timestamp and the exact body bytes, so a receiver can refuse both forgeries and replays of an
 * old capture. Several `v1` values may be sent while a secret is being rotated; any one that verifies is enough.
 */

export const SIGNATURE_HEADER = 'x-leadscore-signature';
export const USER_AGENT = 'leadscore-alerts/1';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface WebhookRequest {
  /** JSON of the message: the exact bytes that were signed, to be sent as they are. */
  readonly body: string;
  readonly headers: {
    readonly 'content-type': 'application/json';
    readonly 'x-leadscore-signature': string;
    readonly 'idempotency-key': string;
    readonly 'user-agent': string;
  };
}

export interface WebhookSigning {
  /** During a rotation, the new and the old secret: one `v1` each, so receivers on either verify. */
  readonly secret: string | readonly string[];
  readonly now: Clock;
}

const secretsOf = (secret: string | readonly string[]): readonly string[] => (typeof secret === 'string' ? [secret] : secret);

function hmac(secret: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…]`. */
export function signatureHeader(body: string, options: WebhookSigning): string {
  const secrets = secretsOf(options.secret);
  if (secrets.length === 0 || secrets.some((s) => s === '')) throw new Error('webhook signing needs a non-empty secret');
  const t = Math.floor(epochMs(options.now) / 1000);
  return [`t=${t}`, ...secrets.map((s) => `v1=${hmac(s, t, body).toString('hex')}`)].join(',');
}

export function webhookRequest(message: AlertMessage, options: WebhookSigning): WebhookRequest {
  const body = JSON.stringify(message);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-leadscore-signature': signatureHeader(body, options),
      'idempotency-key': message.idempotencyKey,
      'user-agent': USER_AGENT,
    },
  };
}

export type VerifyFailure = 'missing' | 'malformed' | 'bad_signature' | 'too_old' | 'too_new';
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: VerifyFailure };

export interface VerifyInput {
  /** The `x-leadscore-signature` header as received. */
  readonly header: string | null | undefined;
  /** The raw body as received, before any JSON parsing: re-serialized JSON would not match the signature. */
  readonly body: string | Uint8Array;
  /** Several while rotating: the request verifies if it was signed with any of them. */
  readonly secret: string | readonly string[];
  readonly toleranceSeconds?: number;
  readonly now: Clock;
}

/**
 * The receiver's side. The signature is checked before the timestamp, so a forged request says `bad_signature`
 * whatever its age, and `too_old` means an authentic request delivered late or replayed.
 */
export function verifyWebhookSignature(input: VerifyInput): VerifyResult {
  const { header, body } = input;
  if (header === null || header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };

  let t: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      candidates.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (a future v2) are skipped, so senders can add one without breaking today's receivers.
  }
  if (t === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };

  const secrets = secretsOf(input.secret).filter((s) => s !== '');
  const timestamp = t;
  // Every pair is compared, in constant time each, so the time taken does not tell which byte or which secret failed.
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(secret, timestamp, body);
    for (const candidate of candidates) if (timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) return { ok: false, reason: 'bad_signature' };

  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor(epochMs(input.now) / 1000);
  if (timestamp < nowSeconds - tolerance) return { ok: false, reason: 'too_old' };
  if (timestamp > nowSeconds + tolerance) return { ok: false, reason: 'too_new' };
  return { ok: true };
}

/**
 * What a receiver pastes to verify our webhooks: plain Node (CommonJS or ESM with `require` from
 * `module.createRequire`), no dependencies. The README carries the same text; a test runs it.
 */
export const VERIFY_SNIPPET = `const crypto = require('node:crypto');

// Verifies a leadscore alert webhook. rawBody: the request body exactly as received (string or Buffer),
// before JSON.parse. secrets: one secret, or an array of them while you rotate. Returns true or false.
function verifyLeadscoreSignature(header, rawBody, secrets, toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (typeof header !== 'string') return false;
  let t;
  const signatures = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.split('=', 2).map((s) => s.trim());
    if (key === 't' && /^\\d+$/.test(value)) t = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false; // too old (a replay) or too far ahead
  return [].concat(secrets).some((secret) => {
    const expected = crypto.createHmac('sha256', secret).update(t + '.').update(rawBody).digest();
    return signatures.some((signature) => crypto.timingSafeEqual(signature, expected));
  });
}
`;
