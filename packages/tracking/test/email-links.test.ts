import { describe, expect, it } from 'vitest';
import { redirectAllowed, signedEmailQuery, verifyEmailQuery } from '../src/index.ts';

const secret = 'a-secret-of-some-length';
const fields = { writeKey: 'wk', emailId: 'e-42', campaignId: 'q4', recipient: 'ann@acme.example', sentAt: 1_764_000_000, url: 'https://acme.example/case-study' };
const asQuery = (p: URLSearchParams) => Object.fromEntries(p);

describe('signed email links', () => {
  it('verify with the secret that signed them', () => {
    const check = verifyEmailQuery('click', asQuery(signedEmailQuery('click', fields, secret)), secret);
    expect(check).toEqual({ ok: true, fields });
  });

  it('do not verify when the recipient is changed', () => {
    const query = asQuery(signedEmailQuery('click', fields, secret));
    expect(verifyEmailQuery('click', { ...query, r: 'bob@acme.example' }, secret)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('do not verify when the target is changed', () => {
    const query = asQuery(signedEmailQuery('click', fields, secret));
    expect(verifyEmailQuery('click', { ...query, u: 'https://evil.example/' }, secret)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('do not verify with another secret', () => {
    expect(verifyEmailQuery('click', asQuery(signedEmailQuery('click', fields, secret)), 'another-secret-here')).toMatchObject({ ok: false });
  });

  it('cannot pass an open pixel signature off as a click', () => {
    const open = asQuery(signedEmailQuery('open', { ...fields, url: undefined }, secret));
    expect(verifyEmailQuery('click', { ...open, u: fields.url }, secret)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('cannot be forged by moving characters between fields', () => {
    const a = asQuery(signedEmailQuery('open', { ...fields, url: undefined, emailId: 'e-4', campaignId: '2q4' }, secret));
    expect(verifyEmailQuery('open', { ...a, e: 'e-42', c: 'q4' }, secret)).toMatchObject({ ok: false });
  });

  it('name a missing field', () => {
    expect(verifyEmailQuery('open', { k: 'wk' }, secret)).toMatchObject({ ok: false, reason: 'missing_field', message: 'query parameter e is required' });
  });
});

describe('the redirect allow-list', () => {
  const hosts = ['acme.example', '*.docs.example'];

  it('allows a listed host', () => {
    expect(redirectAllowed('https://acme.example/pricing', hosts).ok).toBe(true);
  });

  it('allows subdomains of a wildcard, not the apex or look-alikes', () => {
    expect(redirectAllowed('https://www.docs.example/a', hosts).ok).toBe(true);
    expect(redirectAllowed('https://docs.example/a', hosts).ok).toBe(false);
    expect(redirectAllowed('https://evildocs.example/a', hosts).ok).toBe(false);
  });

  it('refuses other hosts, other protocols and credentials', () => {
    expect(redirectAllowed('https://acme.example.evil.com/', hosts).ok).toBe(false);
    expect(redirectAllowed('javascript:alert(1)', hosts).ok).toBe(false);
    expect(redirectAllowed('https://user:pw@acme.example/', hosts).ok).toBe(false);
  });
});
