import { describe, expect, it } from 'vitest';
import { intakeBatch, intakeMessage, LIMITS, type IntakeOptions } from '../src/index.ts';

const receivedAt = new Date('2026-11-25T10:00:00.000Z');
const options: IntakeOptions = {
  receivedAt,
  source: { id: 'web', kind: 'segment' },
  maxFutureMs: 60 * 60 * 1000,
  maxPastMs: 30 * 86_400_000,
};

const track = (extra: Record<string, unknown> = {}) => ({ type: 'track', event: 'Viewed Pricing', userId: 'u1', messageId: 'm1', ...extra });

function accepted(raw: unknown, opts: Partial<IntakeOptions> = {}) {
  const result = intakeMessage(raw, { ...options, ...opts });
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.issues)}`);
  return result.event;
}

function rejected(raw: unknown, opts: Partial<IntakeOptions> = {}) {
  const result = intakeMessage(raw, { ...options, ...opts });
  if (result.ok) throw new Error('accepted');
  return result;
}

describe('taking in one message', () => {
  it('stamps receivedAt, source and an empty flag list', () => {
    const event = accepted(track({ timestamp: '2026-11-25T09:00:00.000Z' }));
    expect(event).toMatchObject({ receivedAt: '2026-11-25T10:00:00.000Z', source: { id: 'web', kind: 'segment' }, flags: [] });
  });

  it('uses receipt time when the message has no timestamp', () => {
    expect(accepted(track()).timestamp).toBe('2026-11-25T10:00:00.000Z');
  });

  it('corrects the client clock by sentAt and keeps the original timestamp', () => {
    // The client's clock runs 2 minutes fast: it sent at 10:02 by its clock, received at 10:00.
    const event = accepted(track({ timestamp: '2026-11-25T10:01:00.000Z', sentAt: '2026-11-25T10:02:00.000Z' }));
    expect(event.timestamp).toBe('2026-11-25T09:59:00.000Z');
    expect(event.originalTimestamp).toBe('2026-11-25T10:01:00.000Z');
  });

  it('takes the type from the route', () => {
    expect(accepted({ userId: 'u1', name: 'Pricing' }, { impliedType: 'page' }).type).toBe('page');
  });

  it('requires userId or anonymousId', () => {
    expect(rejected({ type: 'track', event: 'x' }).issues).toEqual([{ path: 'userId', message: 'either userId or anonymousId is required' }]);
  });

  it('takes a null field as absent, as analytics.js sends userId before identify', () => {
    const event = accepted({ type: 'page', userId: null, anonymousId: 'v1', context: { page: { referrer: null } } });
    expect(event.userId).toBeUndefined();
    expect(JSON.parse(JSON.stringify(event))).not.toHaveProperty('userId');
  });

  it('accepts numeric ids as strings', () => {
    expect(accepted(track({ userId: 42 })).userId).toBe('42');
  });

  it('names every bad field by its path', () => {
    const result = rejected({ type: 'group', userId: 'u1', timestamp: 'yesterday', context: { ip: 5 } });
    expect(result.reason).toBe('invalid_message');
    expect(result.issues.map((i) => i.path).sort()).toEqual(['context.ip', 'groupId', 'timestamp']);
  });

  it('prefixes paths inside a batch', () => {
    expect(rejected({ type: 'alias', userId: 'u1' }, { path: 'batch[2]' }).issues[0]?.path).toBe('batch[2].previousId');
  });

  it('refuses an unknown type', () => {
    expect(rejected({ type: 'purchase', userId: 'u1' }).issues[0]?.path).toBe('type');
  });

  it('refuses a messageId over 100 characters', () => {
    expect(rejected(track({ messageId: 'x'.repeat(101) })).issues[0]?.path).toBe('messageId');
  });

  it('refuses a message over 32 KB', () => {
    const result = rejected(track({ properties: { blob: 'x'.repeat(LIMITS.messageBytes) } }));
    expect(result.reason).toBe('too_large');
  });

  it('refuses a timestamp too far in the future', () => {
    const result = rejected(track({ timestamp: '2026-11-25T12:00:00.000Z' }));
    expect(result).toMatchObject({ reason: 'timestamp_out_of_range', issues: [{ path: 'timestamp' }] });
  });

  it('refuses a timestamp too old, unless any age is allowed (imports)', () => {
    const old = track({ timestamp: '2025-01-01T00:00:00.000Z' });
    expect(rejected(old).reason).toBe('timestamp_out_of_range');
    expect(accepted(old, { maxPastMs: null }).timestamp).toBe('2025-01-01T00:00:00.000Z');
  });

  it('keeps fields beyond the spec that SDKs add', () => {
    expect(accepted(track({ _metadata: { bundled: [] }, channel: 'server' }))).toMatchObject({ _metadata: { bundled: [] }, channel: 'server' });
  });
});

describe('messageId', () => {
  it('is kept when the client sends one', () => {
    expect(accepted(track()).messageId).toBe('m1');
  });

  it('is the same for a retried message with a timestamp', () => {
    const raw = { type: 'track', event: 'x', userId: 'u1', timestamp: '2026-11-25T09:00:00.000Z' };
    expect(accepted(raw).messageId).toBe(accepted(raw).messageId);
    expect(accepted(raw).messageId).toMatch(/^auto-[0-9a-f]{40}$/);
  });

  it('differs between two calls without a timestamp', () => {
    const raw = { type: 'track', event: 'x', userId: 'u1' };
    expect(accepted(raw).messageId).not.toBe(accepted(raw).messageId);
  });
});

describe('product events', () => {
  it('requires an order id and an amount on Order Completed', () => {
    expect(rejected(track({ event: 'Order Completed', properties: { revenue: 10 } })).issues[0]?.path).toBe('properties.order_id');
    expect(rejected(track({ event: 'Order Completed', properties: { order_id: 'o1' } })).issues[0]?.path).toBe('properties.revenue');
  });

  it('normalizes the currency code of an order', () => {
    const event = accepted(track({ event: 'Order Completed', properties: { order_id: 7, revenue: 120000, currency: 'cny' } }));
    expect(event.type === 'track' && event.properties).toMatchObject({ order_id: '7', revenue: 120000, currency: 'CNY' });
  });

  it('requires a form id on Form Submitted and keeps its answers', () => {
    expect(rejected(track({ event: 'Form Submitted', properties: { email: 'a@b.co' } })).issues[0]?.path).toBe('properties.form_id');
    const event = accepted(track({ event: 'Form Submitted', properties: { form_id: 'demo', email: 'a@b.co', budget: '100k+', answers: { pain: 'slow reports' } } }));
    expect(event.type === 'track' && event.properties?.answers).toEqual({ pain: 'slow reports' });
  });

  it('requires an email id on Email Opened', () => {
    expect(rejected(track({ event: 'Email Opened', properties: { campaign_id: 'c1' } })).issues[0]?.path).toBe('properties.email_id');
  });

  it('requires an amount on Order Refunded', () => {
    expect(rejected(track({ event: 'Order Refunded', properties: { order_id: 'o1' } })).issues[0]?.path).toBe('properties.amount');
  });
});

describe('taking in a batch', () => {
  it('merges the batch context and integrations under each message', () => {
    const result = intakeBatch(
      {
        batch: [track({ context: { ip: '1.2.3.4' } }), track({ messageId: 'm2', integrations: { All: false } })],
        context: { ip: '9.9.9.9', library: { name: 'analytics-node' } },
        integrations: { All: true },
      },
      options,
    );
    expect('accepted' in result && result.accepted.map((e) => [e.context, e.integrations])).toEqual([
      [{ ip: '1.2.3.4', library: { name: 'analytics-node' } }, { All: true }],
      [{ ip: '9.9.9.9', library: { name: 'analytics-node' } }, { All: false }],
    ]);
  });

  it('keeps the good messages and lists each bad one with its index, id and field paths', () => {
    const result = intakeBatch({ batch: [track(), { type: 'track', messageId: 'bad', userId: 'u1' }, track({ messageId: 'm3' })] }, options);
    if (!('accepted' in result)) throw new Error('invalid');
    expect(result.accepted.map((e) => e.messageId)).toEqual(['m1', 'm3']);
    expect(result.rejected).toMatchObject([{ index: 1, messageId: 'bad', reason: 'invalid_message', issues: [{ path: 'batch[1].event' }] }]);
  });

  it('applies a batch-level sentAt to every message', () => {
    const result = intakeBatch({ batch: [track({ timestamp: '2026-11-25T10:01:00.000Z' })], sentAt: '2026-11-25T10:02:00.000Z' }, options);
    expect('accepted' in result && result.accepted[0]?.timestamp).toBe('2026-11-25T09:59:00.000Z');
  });

  it('refuses a body without a batch array', () => {
    expect(intakeBatch({ messages: [] }, options)).toEqual({ invalid: { path: 'batch', message: 'expected an array of messages' }, reason: 'invalid_batch' });
  });
});
