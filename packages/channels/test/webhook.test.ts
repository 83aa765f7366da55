import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { VERIFY_SNIPPET, verifyWebhookSignature, webhookRequest } from '../src/index.ts';
import { goldenMessage, NOW, NOW_SECONDS, WEBHOOK_SECRET } from './fixture.ts';

const message = goldenMessage();
const signed = () => webhookRequest(message, { secret: WEBHOOK_SECRET, now: NOW });
/** The recipe as documented, computed here with node:crypto rather than with the code under test. */
const expectedV1 = (secret: string, t: number, body: string) => createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
const verify = (header: string | undefined, body: string, extra: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {}) =>
  verifyWebhookSignature({ header, body, secret: extra.secret ?? WEBHOOK_SECRET, now: extra.now ?? NOW, ...(extra.toleranceSeconds !== undefined ? { toleranceSeconds: extra.toleranceSeconds } : {}) });

describe('signing a webhook request', () => {
  it('sends the message as its JSON body', () => {
    expect(JSON.parse(signed().body)).toEqual(message);
  });

  it('signs "<unix seconds>.<body>" with HMAC-SHA256, hex', () => {
    const { body, headers } = signed();
    expect(headers['x-leadscore-signature']).toBe(`t=${NOW_SECONDS},v1=${expectedV1(WEBHOOK_SECRET, NOW_SECONDS, body)}`);
  });

  it('carries the idempotency key, content type and user agent', () => {
    expect(signed().headers).toMatchObject({ 'content-type': 'application/json', 'idempotency-key': message.idempotencyKey, 'user-agent': 'leadscore-alerts/1' });
  });

  it('adds one v1 per secret while a secret is rotated', () => {
    const { body, headers } = webhookRequest(message, { secret: ['new-secret', 'old-secret'], now: NOW });
    expect(headers['x-leadscore-signature']).toBe(`t=${NOW_SECONDS},v1=${expectedV1('new-secret', NOW_SECONDS, body)},v1=${expectedV1('old-secret', NOW_SECONDS, body)}`);
  });

  it('refuses an empty secret rather than sign with it', () => {
    expect(() => webhookRequest(message, { secret: '', now: NOW })).toThrow(/secret/);
  });
});

describe('verifying a webhook request', () => {
  it('accepts a request as it was signed', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body)).toEqual({ ok: true });
  });

  it('accepts the raw body as bytes', () => {
    const { body, headers } = signed();
    expect(verifyWebhookSignature({ header: headers['x-leadscore-signature'], body: Buffer.from(body, 'utf8'), secret: WEBHOOK_SECRET, now: NOW })).toEqual({ ok: true });
  });

  it('says missing when there is no header', () => {
    expect(verify(undefined, signed().body)).toEqual({ ok: false, reason: 'missing' });
    expect(verify('  ', signed().body)).toEqual({ ok: false, reason: 'missing' });
  });

  it('says malformed without a timestamp, without a v1, or with a v1 that is not 64 hex digits', () => {
    const { body } = signed();
    const v1 = expectedV1(WEBHOOK_SECRET, NOW_SECONDS, body);
    for (const header of [`v1=${v1}`, `t=${NOW_SECONDS}`, `t=${NOW_SECONDS},v1=xyz`, `t=soon,v1=${v1}`, 'garbage', `t=${NOW_SECONDS},t=${NOW_SECONDS},v1=${v1}`]) {
      expect(verify(header, body), header).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('says bad_signature when the body was changed', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body.replace('call today', 'ignore'))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('says bad_signature for another secret', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body, { secret: 'someone-else' })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('says bad_signature when the timestamp was changed, since it is signed too', () => {
    const { body, headers } = signed();
    const moved = headers['x-leadscore-signature'].replace(`t=${NOW_SECONDS}`, `t=${NOW_SECONDS + 60}`);
    expect(verify(moved, body)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('says too_old for an authentic request beyond the tolerance', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body, { now: new Date(NOW.getTime() + 301_000) })).toEqual({ ok: false, reason: 'too_old' });
  });

  it('accepts a request exactly at the edge of the tolerance', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body, { now: new Date(NOW.getTime() + 300_000) })).toEqual({ ok: true });
  });

  it('says too_new for a timestamp ahead of the receiver clock beyond the tolerance', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body, { now: new Date(NOW.getTime() - 301_000) })).toEqual({ ok: false, reason: 'too_new' });
  });

  it('takes the tolerance from the caller', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body, { now: new Date(NOW.getTime() + 61_000), toleranceSeconds: 60 })).toEqual({ ok: false, reason: 'too_old' });
  });

  it('accepts any of several v1 values, so a sender mid-rotation verifies', () => {
    const { body } = signed();
    const header = `t=${NOW_SECONDS},v1=${'0'.repeat(64)},v1=${expectedV1(WEBHOOK_SECRET, NOW_SECONDS, body)}`;
    expect(verify(header, body)).toEqual({ ok: true });
  });

  it('accepts a request signed with any of the receiver secrets, so a receiver mid-rotation verifies', () => {
    const { body, headers } = signed();
    expect(verify(headers['x-leadscore-signature'], body, { secret: ['the-new-one', WEBHOOK_SECRET] })).toEqual({ ok: true });
  });

  it('ignores schemes it does not know', () => {
    const { body, headers } = signed();
    expect(verify(`${headers['x-leadscore-signature']},v2=whatever`, body)).toEqual({ ok: true });
  });
});

describe('the verification snippet for receivers', () => {
  type Verify = (header: unknown, rawBody: string | Buffer, secrets: string | string[], toleranceSeconds?: number, nowSeconds?: number) => boolean;
  // Run as a receiver would: the text itself, with Node's require, nothing from this package.
  const verifySnippet = new Function('require', `${VERIFY_SNIPPET}\nreturn verifyLeadscoreSignature;`)(createRequire(import.meta.url)) as Verify;

  it('accepts a signed request', () => {
    const { body, headers } = signed();
    expect(verifySnippet(headers['x-leadscore-signature'], body, WEBHOOK_SECRET, 300, NOW_SECONDS)).toBe(true);
  });

  it('accepts the raw body as a Buffer', () => {
    const { body, headers } = signed();
    expect(verifySnippet(headers['x-leadscore-signature'], Buffer.from(body), WEBHOOK_SECRET, 300, NOW_SECONDS)).toBe(true);
  });

  it('accepts the previous secret in a list during rotation', () => {
    const { body, headers } = signed();
    expect(verifySnippet(headers['x-leadscore-signature'], body, ['the-new-one', WEBHOOK_SECRET], 300, NOW_SECONDS)).toBe(true);
  });

  it('refuses a tampered body', () => {
    const { body, headers } = signed();
    expect(verifySnippet(headers['x-leadscore-signature'], body.replace('Ann Lee', 'Eve'), WEBHOOK_SECRET, 300, NOW_SECONDS)).toBe(false);
  });

  it('refuses an old timestamp', () => {
    const { body, headers } = signed();
    expect(verifySnippet(headers['x-leadscore-signature'], body, WEBHOOK_SECRET, 300, NOW_SECONDS + 3600)).toBe(false);
  });

  it('refuses a missing header', () => {
    expect(verifySnippet(undefined, signed().body, WEBHOOK_SECRET, 300, NOW_SECONDS)).toBe(false);
  });

  it('uses the current clock when no time is given', () => {
    const now = new Date();
    const { body, headers } = webhookRequest(message, { secret: WEBHOOK_SECRET, now });
    expect(verifySnippet(headers['x-leadscore-signature'], body, WEBHOOK_SECRET)).toBe(true);
  });

  it('is the snippet the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(VERIFY_SNIPPET);
  });
});
