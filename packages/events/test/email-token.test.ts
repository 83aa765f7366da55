import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emailFromToken, EMAIL_TOKEN_TTL_MS, emailTokenOf, emailTokenProves } from '../src/email-token.ts';
import { intakeMessage } from '../src/intake.ts';
import { isTrustedClaim } from '../src/source-policy.ts';

const SECRET = 'link-secret-0123456789';
const CLICKED = Date.parse('2026-11-25T10:00:00Z');
const token = (email = 'ann@acme.example', secret = SECRET) => emailTokenOf(email, CLICKED + EMAIL_TOKEN_TTL_MS, secret);

describe("a signed click's email token", () => {
  it('proves its own address until it expires', () => {
    expect(emailTokenProves(token(), 'ann@acme.example', CLICKED + 60_000, SECRET)).toBe(true);
    expect(emailTokenProves(token(), 'ann@acme.example', CLICKED + EMAIL_TOKEN_TTL_MS + 1000, SECRET)).toBe(false);
  });

  it('proves no other address, and nothing under another secret', () => {
    expect(emailTokenProves(token(), 'eve@acme.example', CLICKED, SECRET)).toBe(false);
    expect(emailTokenProves(token('ann@acme.example', 'another-secret-0123456'), 'ann@acme.example', CLICKED, SECRET)).toBe(false);
  });

  it('proves nothing once any part is changed', () => {
    const [email, expires, signature] = token().split('.') as [string, string, string];
    const forged = [
      [Buffer.from('eve@acme.example').toString('base64url'), expires, signature],
      [email, String(Number(expires) + 86_400), signature],
      [email, expires, `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`],
    ];
    for (const parts of forged) expect(emailTokenProves(parts.join('.'), 'ann@acme.example', CLICKED, SECRET)).toBe(false);
  });

  it('names its address to a browser without the secret', () => {
    expect(emailFromToken(token('zoë@acme.example'))).toBe('zoë@acme.example');
    expect(emailFromToken('not a token')).toBeUndefined();
  });

  it('never throws on anything a stranger can put in its place', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `${s}.${s}.${s}`), fc.anything()), (value) => {
        expect(emailTokenProves(value, 'ann@acme.example', CLICKED, SECRET)).toBe(false);
        if (typeof value === 'string') emailFromToken(value);
      }),
    );
  });
});

describe("a browser's email claim", () => {
  const identify = (context: Record<string, unknown>, timestamp = '2026-11-25T10:05:00Z') => {
    const r = intakeMessage({ messageId: 'm', type: 'identify', anonymousId: 'v-1', timestamp, traits: { email: 'ann@acme.example' }, context }, { receivedAt: new Date(timestamp), source: { id: 'web', kind: 'tracker' }, maxFutureMs: 0, maxPastMs: null });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.event;
  };
  const trusted = (context: Record<string, unknown>, timestamp?: string) => isTrustedClaim(identify(context, timestamp), { web: 'browser' }, {}, { emailOf: () => 'ann@acme.example', linkSecret: SECRET });

  it('is trusted with a signed click token for that address, at the time of the event', () => {
    expect(trusted({ emailToken: token() })).toBe(true);
    expect(trusted({ emailToken: token() }, '2026-11-27T10:05:00Z')).toBe(false);
  });

  it('stays provisional without one, or with one for another address', () => {
    expect(trusted({})).toBe(false);
    expect(trusted({ emailToken: token('eve@acme.example') })).toBe(false);
  });
});
