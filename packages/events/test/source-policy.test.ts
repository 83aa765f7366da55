import { describe, expect, it } from 'vitest';
import { intakeMessage } from '../src/intake.ts';
import { policyRefusal, userHashOf, type PolicyName } from '../src/source-policy.ts';
import type { TrackedEvent } from '../src/tracked-event.ts';

const SECRET = 'site-identity-secret-0123';
function event(raw: Record<string, unknown>): TrackedEvent {
  const r = intakeMessage({ messageId: 'm', ...raw }, { receivedAt: new Date('2026-11-25T10:00:00Z'), source: { id: 'web', kind: 'segment' }, maxFutureMs: 0, maxPastMs: null });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.event;
}
const allows = (policy: PolicyName, raw: Record<string, unknown>, secret?: string) => policyRefusal(event(raw), policy, secret) === undefined;
const order = { type: 'track', userId: 'ann', event: 'Order Completed', properties: { order_id: 'o1', revenue: 10, currency: 'USD' } };

describe('a browser key', () => {
  it('sends pages, its own events, a visitor\'s identify and a user\'s events without traits', () => {
    expect(allows('browser', { type: 'page', anonymousId: 'v', name: 'Pricing' })).toBe(true);
    expect(allows('browser', { type: 'track', anonymousId: 'v', event: 'Form Submitted', properties: { form_id: 'demo', email: 'a@x.co' } })).toBe(true);
    expect(allows('browser', { type: 'identify', anonymousId: 'v', traits: { email: 'a@x.co' } })).toBe(true);
    expect(allows('browser', { type: 'identify', userId: 'ann', anonymousId: 'v' })).toBe(true);
  });

  it('cannot record an order or a refund, naming the rule', () => {
    expect(policyRefusal(event(order), 'browser')).toEqual({ reason: 'not_permitted', issues: [{ path: 'event', message: 'source web (browser) may not send "Order Completed": orders and refunds come from a shop\'s backend (a shop or server key)' }] });
  });

  it('cannot alias', () => {
    expect(policyRefusal(event({ type: 'alias', userId: 'ann', previousId: 'bob' }), 'browser')?.issues[0]?.path).toBe('type');
  });

  it('cannot set a user\'s or a company\'s traits without the userHash of the site\'s backend', () => {
    expect(allows('browser', { type: 'identify', userId: 'ann', traits: { title: 'CEO' } }, SECRET)).toBe(false);
    expect(allows('browser', { type: 'group', userId: 'ann', groupId: 'acme', traits: { employees: 5000 } }, SECRET)).toBe(false);
    expect(allows('browser', { type: 'page', userId: 'ann', context: { traits: { budget: 1e9 } } }, SECRET)).toBe(false);
    expect(allows('browser', { type: 'identify', userId: 'ann', traits: { title: 'CEO' }, context: { userHash: userHashOf('bob', SECRET) } }, SECRET)).toBe(false);
    expect(policyRefusal(event({ type: 'identify', userId: 'ann', traits: { title: 'CEO' } }), 'browser')?.issues[0]?.message).toMatch(/COLLECTOR_IDENTITY_SECRETS/);
  });

  it('sets a signed-in user\'s traits with a valid userHash', () => {
    expect(allows('browser', { type: 'identify', userId: 'ann', traits: { title: 'CEO' }, context: { userHash: userHashOf('ann', SECRET) } }, SECRET)).toBe(true);
  });
});

describe('other keys', () => {
  it('a shop sends orders and who bought, nothing else', () => {
    expect(allows('shop', order)).toBe(true);
    expect(allows('shop', { type: 'identify', userId: 'ann', traits: { email: 'a@x.co' } })).toBe(true);
    expect(allows('shop', { type: 'page', userId: 'ann' })).toBe(false);
    expect(allows('shop', { type: 'track', userId: 'ann', event: 'Viewed' })).toBe(false);
  });

  it('a CRM sends people\'s and companies\' traits', () => {
    expect(allows('crm', { type: 'identify', userId: 'ann', traits: { title: 'CEO' } })).toBe(true);
    expect(allows('crm', { type: 'group', userId: 'ann', groupId: 'acme', traits: { employees: 10 } })).toBe(true);
    expect(allows('crm', order)).toBe(false);
  });

  it('a server sends anything', () => {
    for (const raw of [order, { type: 'alias', userId: 'ann', previousId: 'v' }, { type: 'identify', userId: 'ann', traits: { title: 'CEO' } }]) expect(allows('server', raw)).toBe(true);
  });
});
