import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, intakeMessage, type TrackedEvent } from '@leadscore/events';
import { claimsOf, companyOf, decideIdentity, emailOf, manualMergeEvent, manualMergeIssue, normalizeEmail } from '../src/index.ts';

function event(raw: Record<string, unknown>): TrackedEvent {
  const r = intakeMessage({ messageId: 'm', ...raw }, { receivedAt: new Date('2026-11-25T10:00:00Z'), source: { id: 'web', kind: 'segment' }, maxFutureMs: 0, maxPastMs: null });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.event;
}
const decide = (raw: Record<string, unknown>, found = {}) => {
  const e = event(raw);
  return decideIdentity(e, claimsOf(e), found);
};
const freeMail = new Set(['gmail.com', 'qq.com', '163.com']);

describe('emails', () => {
  it('are trimmed and lower-cased', () => {
    expect(normalizeEmail('  Ann.Lee@Acme.Example ')).toBe('ann.lee@acme.example');
  });

  it('that are not addresses are ignored', () => {
    expect(normalizeEmail('ann at acme')).toBeUndefined();
    expect(normalizeEmail(42)).toBeUndefined();
  });

  it('come from identify traits, form fields, context traits and email: identities', () => {
    expect(emailOf(event({ type: 'identify', userId: 'u', traits: { email: 'A@x.co' } }))).toBe('a@x.co');
    expect(emailOf(event({ type: 'track', event: 'Form Submitted', anonymousId: 'v', properties: { form_id: 'f', email: 'b@x.co' } }))).toBe('b@x.co');
    expect(emailOf(event({ type: 'page', anonymousId: 'v', context: { traits: { email: 'c@x.co' } } }))).toBe('c@x.co');
    expect(emailOf(event({ type: 'track', event: 'Email Opened', anonymousId: 'email:d@x.co', properties: { email_id: 'e' } }))).toBe('d@x.co');
  });
});

describe('companies', () => {
  it('come from a group call, then context.groupId, then the email domain', () => {
    expect(companyOf(event({ type: 'group', userId: 'u', groupId: 'acme' }), freeMail)).toBe('acme');
    expect(companyOf(event({ type: 'page', userId: 'u', context: { groupId: 'g1' } }), freeMail)).toBe('g1');
    expect(companyOf(event({ type: 'identify', userId: 'u', traits: { email: 'cto@acme.example' } }), freeMail)).toBe('domain:acme.example');
  });

  it('are not guessed from free-mail domains', () => {
    expect(companyOf(event({ type: 'identify', userId: 'u', traits: { email: 'someone@qq.com' } }), freeMail)).toBeUndefined();
  });
});

describe('deciding the profile of an event', () => {
  it('puts an anonymous visitor\'s event on the visitor', () => {
    expect(decide({ type: 'page', anonymousId: 'v1' })).toEqual({ profile: 'a:v1', links: [], conflicts: [] });
  });

  it('puts it on the lead once the visitor is linked', () => {
    expect(decide({ type: 'page', anonymousId: 'v1' }, { anonymousLinkedTo: 'u:ann' }).profile).toBe('u:ann');
  });

  it('links the visitor to the user on identify and claims the email', () => {
    expect(decide({ type: 'identify', userId: 'ann', anonymousId: 'v1', traits: { email: 'ann@acme.example' } })).toEqual({
      profile: 'u:ann',
      links: [
        { from: 'e:ann@acme.example', to: 'u:ann', reason: 'email_claimed' },
        { from: 'a:v1', to: 'u:ann', reason: 'identify' },
      ],
      emailClaim: { email: 'ann@acme.example', owner: 'u:ann' },
      conflicts: [],
    });
  });

  it('links the visitor on alias, from previousId', () => {
    expect(decide({ type: 'alias', userId: 'ann', previousId: 'v1' }).links).toEqual([{ from: 'a:v1', to: 'u:ann', reason: 'alias' }]);
  });

  it('gives a form with an email and no user id to the lead owning the email', () => {
    const d = decide({ type: 'track', event: 'Form Submitted', anonymousId: 'v2', properties: { form_id: 'demo', email: 'ann@acme.example' } }, { emailOwner: 'u:ann' });
    expect(d).toMatchObject({ profile: 'u:ann', links: [{ from: 'a:v2', to: 'u:ann', reason: 'form' }] });
  });

  it('makes a new lead keyed by the email when nobody owns it', () => {
    const d = decide({ type: 'track', event: 'Form Submitted', anonymousId: 'v3', properties: { form_id: 'demo', email: 'bo@beta.example' } });
    expect(d).toMatchObject({ profile: 'e:bo@beta.example', emailClaim: { email: 'bo@beta.example', owner: 'e:bo@beta.example' }, links: [{ from: 'a:v3', to: 'e:bo@beta.example' }] });
  });

  it('links a provisional email lead into the user who claims its email', () => {
    const d = decide({ type: 'identify', userId: 'bo', traits: { email: 'bo@beta.example' } }, { emailOwner: 'e:bo@beta.example' });
    expect(d).toMatchObject({ profile: 'u:bo', links: [{ from: 'e:bo@beta.example', to: 'u:bo', reason: 'email_claimed' }], emailClaim: { owner: 'u:bo' } });
  });

  it('says every link again on a replay, so that a crash between stores loses none', () => {
    const again = decide({ type: 'identify', userId: 'ann', anonymousId: 'v1', traits: { email: 'ann@acme.example' } }, { emailOwner: 'u:ann', anonymousLinkedTo: 'u:ann' });
    expect(again.links.map((l) => l.from)).toEqual(['e:ann@acme.example', 'a:v1']);
  });

  it('lets a visitor linked to a provisional email lead follow it into the user who claims the email', () => {
    const d = decide({ type: 'identify', userId: 'bo', anonymousId: 'v3', traits: { email: 'bo@beta.example' } }, { emailOwner: 'e:bo@beta.example', anonymousLinkedTo: 'e:bo@beta.example' });
    expect(d.conflicts).toEqual([]);
    expect(d.links).toEqual([{ from: 'e:bo@beta.example', to: 'u:bo', reason: 'email_claimed' }]);
  });

  it('gives a form from a visitor already known as a user to that user, who claims the email', () => {
    const d = decide({ type: 'track', event: 'Form Submitted', anonymousId: 'v4', properties: { form_id: 'demo', email: 'ann.work@acme.example' } }, { anonymousLinkedTo: 'u:ann' });
    expect(d).toMatchObject({ profile: 'u:ann', emailClaim: { email: 'ann.work@acme.example', owner: 'u:ann' }, conflicts: [] });
  });

  it('links a provisional email lead into the user its visitor turns out to be', () => {
    const d = decide({ type: 'page', userId: 'bo', anonymousId: 'v5' }, { anonymousLinkedTo: 'e:bo.private@mail.example' });
    expect(d).toMatchObject({ profile: 'u:bo', links: [{ from: 'e:bo.private@mail.example', to: 'u:bo', reason: 'visitor_identified' }], conflicts: [] });
  });

  it('records a conflict, and merges nothing, when a second user claims an email from a browser (provisional)', () => {
    const e = event({ type: 'identify', userId: 'eve', traits: { email: 'ann@acme.example' } });
    const d = decideIdentity(e, claimsOf(e), { emailOwner: 'u:ann' }, false);
    expect(d.links).toEqual([]);
    expect(d.emailClaim).toBeUndefined();
    expect(d.conflicts).toMatchObject([{ kind: 'email_owned_by_another_lead', claimedBy: 'u:eve', existing: 'u:ann' }]);
  });

  it('contests the holder when a second user\'s claim is trusted: the store decides whether the holder\'s was provisional', () => {
    const d = decide({ type: 'identify', userId: 'eve', traits: { email: 'ann@acme.example' } }, { emailOwner: 'u:ann' });
    expect(d.links).toEqual([]);
    expect(d.emailClaim).toEqual({ email: 'ann@acme.example', owner: 'u:eve', contested: 'u:ann' });
    expect(d.conflicts).toEqual([]);
  });

  it('marks a browser\'s claim provisional', () => {
    const e = event({ type: 'identify', anonymousId: 'v9', traits: { email: 'new@acme.example' } });
    expect(decideIdentity(e, claimsOf(e), {}, false).emailClaim).toEqual({ email: 'new@acme.example', owner: 'e:new@acme.example', trusted: false });
  });

  it('records a conflict, and merges nothing, when a visitor linked to one user is identified as another', () => {
    const d = decide({ type: 'identify', userId: 'eve', anonymousId: 'v1' }, { anonymousLinkedTo: 'u:ann' });
    expect(d).toMatchObject({ profile: 'u:eve', links: [], conflicts: [{ kind: 'anonymous_linked_elsewhere', profile: 'a:v1', existing: 'u:ann' }] });
  });

  it('treats email: and import: anonymous ids as identities, not visitors', () => {
    expect(decide({ type: 'track', event: 'Email Opened', anonymousId: 'email:Ann@acme.example', properties: { email_id: 'e' } }, { emailOwner: 'u:ann' })).toEqual({ profile: 'u:ann', links: [], conflicts: [] });
  });
});

describe('reading an email address', () => {
  it('takes linear time on what a pattern would backtrack on', () => {
    const hostile = `a@${'.'.repeat(30_000)}@`;
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(normalizeEmail(hostile)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('refuses what is not one address with a dotted domain', () => {
    for (const bad of ['ops@localhost', '@acme.example', 'a@b@acme.example', 'ann lee@acme.example', 'ann@acme.x', 'ann@.example', `${'a'.repeat(65)}@acme.example`]) expect(normalizeEmail(bad), bad).toBeUndefined();
    expect(normalizeEmail('a.b+c@sub.acme.example')).toBe('a.b+c@sub.acme.example');
  });
});

describe('merges by hand', () => {
  const merge = (lead: string, other: string) => manualMergeEvent({ lead, other, at: new Date('2026-11-25T10:00:00Z'), note: { by: 'ops', note: 'same person' } });

  it('link the other user into the lead, its history with it', () => {
    const e = merge('u:ann', 'u:ann-old');
    expect(decideIdentity(e, claimsOf(e), {})).toEqual({ profile: 'u:ann', links: [{ from: 'u:ann-old', to: 'u:ann', reason: 'merged_by_hand' }], conflicts: [] });
  });

  it('are events that pass the stored-event checks the ingest worker applies', () => {
    expect(decodeEvent(encodeEvent(merge('u:ann', 'u:ann-old')).value).ok).toBe(true);
  });

  it('are one event however often asked: the message id is the pair\'s', () => {
    expect(merge('u:ann', 'u:ann-old').messageId).toBe(merge('u:ann', 'u:ann-old').messageId);
    expect(merge('u:ann', 'u:ann-old').messageId).not.toBe(merge('u:ann-old', 'u:ann').messageId);
  });

  it('are only between two different user leads', () => {
    expect(manualMergeIssue('u:ann', 'e:ann@acme.example')).toMatch(/only user leads/);
    expect(manualMergeIssue('a:v1', 'u:ann')).toMatch(/only user leads/);
    expect(manualMergeIssue('u:ann', 'u:ann')).toMatch(/one lead already/);
  });

  it('cannot be sent by a site: an alias from a write key links a visitor, never a user', () => {
    expect(decide({ type: 'alias', userId: 'ann', previousId: 'ann-old' })).toEqual({ profile: 'u:ann', links: [{ from: 'a:ann-old', to: 'u:ann', reason: 'alias' }], conflicts: [] });
  });
});
